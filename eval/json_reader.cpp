#include "json_reader.h"

#include "error.h"

namespace zl {

using nlohmann::json;

namespace {
std::string join(const std::string& parent, const std::string& key) { return parent.empty() ? key : parent + "." + key; }
}  // namespace

json JsonReader::parse(const std::string& text) const {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw UserError(source + ": not valid JSON (byte " + std::to_string(e.byte) +
                    "); the file is corrupt or was cut short: re-create it");
  }
}

void JsonReader::fail(const std::string& path, const std::string& message) const {
  throw UserError(source + ": key '" + path + "' " + message);
}

const json& JsonReader::field(const json& obj, const std::string& key, const std::string& parent) const {
  if (!obj.is_object()) fail(parent.empty() ? "(top level)" : parent, "must be a JSON object");
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) fail(join(parent, key), "is missing");
  return *it;
}

const json& JsonReader::object(const json& obj, const std::string& key, const std::string& parent) const {
  const json& v = field(obj, key, parent);
  if (!v.is_object()) fail(join(parent, key), "must be an object");
  return v;
}

const json& JsonReader::array(const json& obj, const std::string& key, const std::string& parent) const {
  const json& v = field(obj, key, parent);
  if (!v.is_array()) fail(join(parent, key), "must be an array");
  return v;
}

std::string JsonReader::str(const json& obj, const std::string& key, const std::string& parent) const {
  const json& v = field(obj, key, parent);
  if (!v.is_string()) fail(join(parent, key), "must be a string, got " + v.dump());
  return v.get<std::string>();
}

double JsonReader::number(const json& obj, const std::string& key, const std::string& parent) const {
  const json& v = field(obj, key, parent);
  if (!v.is_number()) fail(join(parent, key), "must be a number, got " + v.dump());
  return v.get<double>();
}

int64_t JsonReader::integer(const json& obj, const std::string& key, const std::string& parent) const {
  const json& v = field(obj, key, parent);
  if (!v.is_number_integer()) fail(join(parent, key), "must be an integer, got " + v.dump());
  return v.get<int64_t>();
}

bool JsonReader::boolean(const json& obj, const std::string& key, const std::string& parent) const {
  const json& v = field(obj, key, parent);
  if (!v.is_boolean()) fail(join(parent, key), "must be true or false, got " + v.dump());
  return v.get<bool>();
}

}  // namespace zl
