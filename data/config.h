// Strict configuration files (YAML, the ML convention): every key a component
// reads is recorded; any other key in the file is an error that names the
// closest valid key. Defaults are written back into the tree, so the resolved
// config saved with a run holds every value the run used.
//
// Layering (as in Marian): defaults < config file < --set a.b=value overrides.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "error.h"

namespace zl {

class Config {
 public:
  // Loads a YAML file (a mapping at the top) and applies "a.b=value" overrides.
  static Config load_file(const std::string& path, const std::vector<std::string>& overrides = {});
  static Config from_string(const std::string& yaml, const std::string& source,
                            const std::vector<std::string>& overrides = {});
  // An empty config (all defaults), with overrides applied.
  static Config empty(const std::string& source, const std::vector<std::string>& overrides = {});

  // A sub-section; an absent one reads as empty (all defaults).
  Config child(const std::string& key) const;
  bool has(const std::string& key) const;

  template <class T>
  T get(const std::string& key, const T& default_value) const;
  template <class T>
  T require(const std::string& key) const;
  std::string get_choice(const std::string& key, const std::string& default_value,
                         const std::vector<std::string>& choices) const;

  // Declares a key as valid without reading it (e.g. sections read elsewhere).
  void allow(const std::string& key) const;

  // The names of this section's keys, in file order (empty when the section is absent
  // or not a mapping). Code that walks a section (split names, student names) must use
  // this, not the YAML node: a key written as a list or mapping ({[a, b]: x}) has no
  // name and is a UserError naming the file and line here, where
  // YAML::Node::as<std::string> would throw YAML::BadConversion past the mains.
  std::vector<std::string> keys() const;

  // Throws UserError for the first key nobody read, suggesting the closest valid key.
  void check_unknown_keys() const;

  // Throws UserError "<source>: <path.key> <message>" when `ok` is false.
  void check(bool ok, const std::string& key, const std::string& message) const;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

  std::string path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }
  const std::string& source() const { return state_->source; }
  std::string to_yaml() const;  // the resolved tree (top level)
  YAML::Node node() const { return node_; }

 private:
  struct State {
    std::string source;
    YAML::Node root;
    std::set<std::string> known;     // dotted paths read or allowed
    std::set<std::string> sections;  // paths opened with child(): their keys are checked too
  };
  Config(std::shared_ptr<State> state, YAML::Node node, std::string prefix)
      : state_(std::move(state)), node_(node), prefix_(std::move(prefix)) {}
  std::string where(const std::string& key) const;
  YAML::Node lookup(const std::string& key) const;

  std::shared_ptr<State> state_;
  mutable YAML::Node node_;  // defaults are written into the tree as they are read
  std::string prefix_;
};

// Edit distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

template <class T>
T Config::get(const std::string& key, const T& default_value) const {
  state_->known.insert(path(key));
  YAML::Node v = lookup(key);
  if (!v || v.IsNull()) {
    node_[key] = default_value;  // record the default in the resolved config
    return default_value;
  }
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    std::ostringstream def;
    def << YAML::Node(default_value);
    fail(key, "has a value of the wrong type (got '" + YAML::Dump(v) + "'; expected something like '" +
                  def.str() + "')");
  }
}

template <class T>
T Config::require(const std::string& key) const {
  state_->known.insert(path(key));
  YAML::Node v = lookup(key);
  if (!v || v.IsNull()) fail(key, "is required but missing: add it to the config file or pass --set " + path(key) + "=...");
  try {
    return v.as<T>();
  } catch (const YAML::Exception&) {
    fail(key, "has a value of the wrong type: '" + YAML::Dump(v) + "'");
  }
}

}  // namespace zl
