#include "added_tokens.h"

#include <stdexcept>

namespace zl {

AddedTokenEncoder::AddedTokenEncoder(std::vector<AddedToken> tokens, std::unique_ptr<TextEncoder> inner)
    : tokens_(std::move(tokens)), inner_(std::move(inner)) {
  for (const auto& t : tokens_) {
    if (t.content.empty()) throw std::invalid_argument("AddedTokenEncoder: an empty added token");
    first_byte_[static_cast<unsigned char>(t.content[0])] = true;
  }
}

const AddedToken* AddedTokenEncoder::match_at(std::string_view text, size_t pos) const {
  if (!first_byte_[static_cast<unsigned char>(text[pos])]) return nullptr;
  const AddedToken* best = nullptr;
  for (const auto& t : tokens_)
    if (text.compare(pos, t.content.size(), t.content) == 0 && (!best || t.content.size() > best->content.size()))
      best = &t;
  return best;
}

void AddedTokenEncoder::encode(std::string_view text, std::vector<int>& ids) const {
  ids.clear();
  std::vector<int> part;
  size_t start = 0, pos = 0;
  auto flush = [&](size_t end) {
    if (end > start) {
      inner_->encode(text.substr(start, end - start), part);
      ids.insert(ids.end(), part.begin(), part.end());
    }
  };
  while (pos < text.size()) {
    const AddedToken* t = match_at(text, pos);
    if (!t) {
      ++pos;
      continue;
    }
    flush(pos);
    ids.push_back(t->id);
    pos += t->content.size();
    start = pos;
  }
  flush(text.size());
}

}  // namespace zl
