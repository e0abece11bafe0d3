#include "step_state.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <tuple>

#include "atomic_file.h"
#include "checksum.h"
#include "error.h"

namespace zl::sweep {

std::string command_hash(const StepKey& key) {
  Sha256 h;
  for (const auto& a : key.command) {
    h.update(a);
    h.update("\0", 1);  // so ["ab","c"] and ["a","bc"] differ
  }
  h.update("\x01extra\x01", 7);
  h.update(key.extra);
  return h.hex_digest();
}

std::string safe_name(const std::string& step_id) {
  std::string out;
  for (char c : step_id) {
    if (c == '/')
      out += "__";
    else if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')
      out += c;
    else
      out += '_';
  }
  return out;
}

std::string marker_path(const std::string& state_dir, const std::string& step_id) {
  return state_dir + "/" + safe_name(step_id) + ".done.json";
}

std::string cached_sha256(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  using Key = std::tuple<std::string, long long, long long, long long>;
  static std::map<Key, std::string> cache;
  Key k{path, static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
        static_cast<long long>(st.st_mtim.tv_nsec)};
  auto it = cache.find(k);
  if (it != cache.end()) return it->second;
  std::string h = sha256_file(path);
  cache[k] = h;
  return h;
}

Validity check_step(const StepKey& key, const std::string& state_dir) {
  const std::string mp = marker_path(state_dir, key.id);
  if (!file_exists(mp)) return {false, "not done yet (no completion marker)"};
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_file(mp));
  } catch (const std::exception&) {
    return {false, "completion marker unreadable (" + mp + ")"};
  }
  if (m.value("command_sha256", "") != command_hash(key)) return {false, "command or settings changed"};
  const auto inputs = m.value("inputs", nlohmann::json::object());
  for (const auto& in : key.inputs) {
    if (!inputs.contains(in)) return {false, "new input: " + in};
    std::string now = cached_sha256(in);
    if (now.empty()) return {false, "input missing: " + in};
    if (inputs[in].get<std::string>() != now) return {false, "input changed: " + in};
  }
  const auto outputs = m.value("outputs", nlohmann::json::object());
  for (const auto& out : key.outputs) {
    if (!outputs.contains(out)) return {false, "new output: " + out};
    std::string now = cached_sha256(out);
    if (now.empty()) return {false, "output missing: " + out};
    if (outputs[out].get<std::string>() != now) return {false, "output changed since the step ran: " + out};
  }
  return {true, "done"};
}

void write_marker(const StepKey& key, const std::string& state_dir, double wall_seconds) {
  nlohmann::json m;
  m["step"] = key.id;
  m["command"] = key.command;
  m["command_sha256"] = command_hash(key);
  nlohmann::json ins = nlohmann::json::object(), outs = nlohmann::json::object();
  for (const auto& in : key.inputs) {
    std::string h = cached_sha256(in);
    if (h.empty()) throw UserError("step " + key.id + ": input " + in + " disappeared while the step ran");
    ins[in] = h;
  }
  for (const auto& out : key.outputs) {
    std::string h = cached_sha256(out);
    if (h.empty())
      throw UserError("step " + key.id + " finished but did not write " + out + " (see its log)");
    outs[out] = h;
  }
  m["inputs"] = ins;
  m["outputs"] = outs;
  m["wall_seconds"] = wall_seconds;
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  m["finished_at"] = buf;
  write_file_atomic(marker_path(state_dir, key.id), m.dump(2) + "\n");
}

void remove_marker(const std::string& state_dir, const std::string& step_id) {
  std::remove(marker_path(state_dir, step_id).c_str());
}

std::string started_path(const std::string& state_dir, const std::string& step_id) {
  return state_dir + "/" + safe_name(step_id) + ".started.json";
}

void write_started(const StepKey& key, const std::string& state_dir) {
  nlohmann::json m;
  m["step"] = key.id;
  m["command"] = key.command;
  m["command_sha256"] = command_hash(key);
  nlohmann::json ins = nlohmann::json::object();
  for (const auto& in : key.inputs) ins[in] = cached_sha256(in);
  m["inputs"] = ins;
  write_file_atomic(started_path(state_dir, key.id), m.dump(2) + "\n");
}

void remove_started(const std::string& state_dir, const std::string& step_id) {
  std::remove(started_path(state_dir, step_id).c_str());
}

Validity check_resumable(const StepKey& key, const std::string& state_dir, const std::string& checkpoint) {
  if (!file_exists(checkpoint)) return {false, "no checkpoint to continue from"};
  const std::string sp = started_path(state_dir, key.id);
  if (!file_exists(sp)) return {false, "no record of how the interrupted run was started (" + sp + ")"};
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_file(sp));
  } catch (const std::exception&) {
    return {false, "start record unreadable (" + sp + ")"};
  }
  if (!m.is_object() || m.value("command_sha256", "") != command_hash(key))
    return {false, "command or settings changed"};
  const auto inputs = m.value("inputs", nlohmann::json::object());
  for (const auto& in : key.inputs) {
    if (!inputs.contains(in) || !inputs[in].is_string()) return {false, "new input: " + in};
    std::string now = cached_sha256(in);
    if (now.empty()) return {false, "input missing: " + in};
    if (inputs[in].get<std::string>() != now) return {false, "input changed: " + in};
  }
  return {true, "resumable"};
}

}  // namespace zl::sweep
