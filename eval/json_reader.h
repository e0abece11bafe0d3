// Strict reading of JSON inputs (metrics.json, run.json): every error names the
// file and the dotted key, and says what was expected.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace zl {

struct JsonReader {
  std::string source;  // the file, for messages

  // Parses `text`; a syntax error names the file and the byte offset.
  nlohmann::json parse(const std::string& text) const;

  // `parent` is the dotted path of `obj` ("" at the top); the key is appended.
  const nlohmann::json& field(const nlohmann::json& obj, const std::string& key, const std::string& parent) const;
  const nlohmann::json& object(const nlohmann::json& obj, const std::string& key, const std::string& parent) const;
  const nlohmann::json& array(const nlohmann::json& obj, const std::string& key, const std::string& parent) const;
  std::string str(const nlohmann::json& obj, const std::string& key, const std::string& parent) const;
  double number(const nlohmann::json& obj, const std::string& key, const std::string& parent) const;
  int64_t integer(const nlohmann::json& obj, const std::string& key, const std::string& parent) const;
  bool boolean(const nlohmann::json& obj, const std::string& key, const std::string& parent) const;

  [[noreturn]] void fail(const std::string& path, const std::string& message) const;
};

}  // namespace zl
