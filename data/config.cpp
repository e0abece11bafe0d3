#include "config.h"

#include <algorithm>
#include <functional>

#include "atomic_file.h"

namespace zl {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = static_cast<size_t>(-1);
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

namespace {

void apply_override(YAML::Node root, const std::string& source, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UserError("--set " + assignment + ": expected key.path=value (for example --set train.lr=3e-4)");
  std::string key = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw UserError("--set " + assignment + ": value is not valid YAML: " + e.msg);
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  // yaml-cpp nodes are handles: walking with reset() keeps edits in the tree.
  YAML::Node cur = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty()) throw UserError("--set " + assignment + ": empty key segment");
    YAML::Node next = cur[parts[i]];
    if (!next.IsDefined() || next.IsNull()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = cur[parts[i]];
    } else if (!next.IsMap()) {
      throw UserError("--set " + assignment + ": '" + parts[i] + "' in " + source + " is not a section");
    }
    cur.reset(next);
  }
  cur[parts.back()] = parsed;
}

}  // namespace

Config Config::from_string(const std::string& yaml, const std::string& source,
                           const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw UserError(source + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw UserError(source + ": the top level must be a mapping of keys to values");
  for (const auto& o : overrides) apply_override(root, source, o);
  auto state = std::make_shared<State>();
  state->source = source;
  state->root = root;
  return Config(state, root, "");
}

Config Config::load_file(const std::string& path, const std::vector<std::string>& overrides) {
  if (!file_exists(path)) throw UserError("config file " + path + " does not exist (check the path)");
  return from_string(read_file(path), path, overrides);
}

Config Config::empty(const std::string& source, const std::vector<std::string>& overrides) {
  return from_string("{}", source, overrides);
}

YAML::Node Config::lookup(const std::string& key) const {
  const YAML::Node& n = node_;
  if (!n.IsMap()) return YAML::Node();
  return n[key];
}

bool Config::has(const std::string& key) const {
  state_->known.insert(path(key));
  YAML::Node v = lookup(key);
  return v && !v.IsNull();
}

void Config::allow(const std::string& key) const { state_->known.insert(path(key)); }

Config Config::child(const std::string& key) const {
  state_->known.insert(path(key));
  state_->sections.insert(path(key));
  YAML::Node v = lookup(key);
  if (!v || v.IsNull()) {
    // A fresh handle: `v = ...` or v.reset() on the invalid node lookup() returned throws.
    node_[key] = YAML::Node(YAML::NodeType::Map);
    YAML::Node created = node_[key];
    return Config(state_, created, path(key));
  } else if (!v.IsMap()) {
    fail(key, "must be a section (key: value pairs), got '" + YAML::Dump(v) + "'");
  }
  return Config(state_, v, path(key));
}

std::string Config::get_choice(const std::string& key, const std::string& default_value,
                               const std::vector<std::string>& choices) const {
  std::string v = get<std::string>(key, default_value);
  if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
    fail(key, "is '" + v + "', which is not one of: " + list + " (did you mean '" + closest(v, choices) + "'?)");
  }
  return v;
}

std::string Config::where(const std::string& key) const {
  YAML::Node v = lookup(key);
  std::string loc = state_->source;
  if (v && v.Mark().line >= 0) loc += ":" + std::to_string(v.Mark().line + 1);
  return loc;
}

void Config::fail(const std::string& key, const std::string& message) const {
  throw UserError(where(key) + ": " + path(key) + " " + message);
}

void Config::check(bool ok, const std::string& key, const std::string& message) const {
  if (!ok) fail(key, message);
}

namespace {

// The name of a mapping key. A key that is a list or mapping ({[a, b]: 1}) has none:
// as<std::string> would throw YAML::BadConversion out of the loader (found by
// fuzz/config_fuzz, in the generic walk and again in inputs.files).
std::string key_name(const YAML::Node& key, const std::string& source, const std::string& section) {
  if (!key.IsScalar()) {
    std::string msg = source;
    if (key.Mark().line >= 0) msg += ":" + std::to_string(key.Mark().line + 1);
    throw UserError(msg + ": a key" + (section.empty() ? "" : " in section '" + section + "'") +
                    " is a list or mapping, not a name: write key: value");
  }
  return key.Scalar();
}

}  // namespace

std::vector<std::string> Config::keys() const {
  std::vector<std::string> out;
  if (!node_ || !node_.IsMap()) return out;
  for (auto it = node_.begin(); it != node_.end(); ++it) out.push_back(key_name(it->first, state_->source, prefix_));
  return out;
}

void Config::check_unknown_keys() const {
  const auto& known = state_->known;
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& n,
                                                                         const std::string& prefix) {
    if (!n.IsMap()) return;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = key_name(it->first, state_->source, prefix);
      std::string full = prefix.empty() ? k : prefix + "." + k;
      if (!known.count(full)) {
        std::vector<std::string> siblings;
        for (const auto& kn : known) {
          auto dot = kn.rfind('.');
          std::string parent = dot == std::string::npos ? "" : kn.substr(0, dot);
          if (parent == prefix) siblings.push_back(kn);
        }
        std::string msg = state_->source;
        if (it->first.Mark().line >= 0) msg += ":" + std::to_string(it->first.Mark().line + 1);
        msg += ": unknown key '" + full + "'";
        if (!siblings.empty()) msg += "; did you mean '" + closest(full, siblings) + "'?";
        else msg += "; this section takes no keys";
        throw UserError(msg);
      }
      if (state_->sections.count(full)) walk(it->second, full);
    }
  };
  walk(state_->root, "");
}

std::string Config::to_yaml() const {
  YAML::Emitter out;
  out << state_->root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace zl
