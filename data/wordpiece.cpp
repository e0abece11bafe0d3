#include "wordpiece.h"

#include <utf8proc.h>

#include <algorithm>
#include <stdexcept>

#include "error.h"

namespace zl {

namespace {

struct CodeRange {
  char32_t lo, hi;
};

#include "bert_unicode_tables.inc"

template <size_t N>
bool in_table(const CodeRange (&table)[N], char32_t c) {
  const CodeRange* end = table + N;
  const CodeRange* it = std::upper_bound(table, end, c, [](char32_t v, const CodeRange& r) { return v < r.lo; });
  return it != table && c <= (it - 1)->hi;
}

// Rust's char::is_whitespace (the White_Space property), which BertPreTokenizer splits on.
bool is_split_space(char32_t c) {
  return (c >= 0x9 && c <= 0xD) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// What clean_text turns into ' ': \t \n \r and White_Space characters that are not "other"
// (0x0B, 0x0C and 0x85 are Cc and are dropped before this test).
bool is_clean_space(char32_t c) { return c != 0x20 && is_split_space(c); }

// The CJK ideograph ranges of tokenizers' BertNormalizer (BERT's list, with the Extension C/D
// block joined and Extension E starting at U+2B920 as tokenizers has it).
bool is_cjk(char32_t c) {
  return (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0x2F800 && c <= 0x2FA1F);
}

void decode_utf8(std::string_view s, std::vector<char32_t>& out) {
  out.clear();
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &c);
    if (n <= 0) {  // an invalid byte: U+FFFD, which clean_text drops
      c = 0xFFFD;
      n = 1;
    }
    out.push_back(static_cast<char32_t>(c));
    p += n;
    left -= n;
  }
}

void append_utf8(char32_t c, std::string& out) {
  utf8proc_uint8_t buf[4];
  const auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

// NFD of a code point sequence (utf8proc: decomposition plus canonical ordering).
void nfd(std::vector<char32_t>& cps) {
  std::string utf8;
  for (char32_t c : cps) append_utf8(c, utf8);
  std::vector<utf8proc_int32_t> buf(cps.size() * 4 + 16);
  const auto opts = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE);
  utf8proc_ssize_t n;
  while (true) {
    n = utf8proc_decompose(reinterpret_cast<const utf8proc_uint8_t*>(utf8.data()),
                           static_cast<utf8proc_ssize_t>(utf8.size()), buf.data(),
                           static_cast<utf8proc_ssize_t>(buf.size()), opts);
    if (n < 0) throw std::runtime_error(std::string("utf8proc: ") + utf8proc_errmsg(n));
    if (static_cast<size_t>(n) <= buf.size()) break;
    buf.resize(static_cast<size_t>(n));
  }
  cps.assign(buf.begin(), buf.begin() + n);
}

}  // namespace

std::vector<std::string> bert_basic_tokenize(std::string_view text, const BertBasicOptions& o) {
  std::vector<char32_t> in, cps;
  decode_utf8(text, in);
  cps.reserve(in.size() + 8);
  for (char32_t c : in) {
    if (in_table(kBertCleanRemoved, c)) continue;  // clean_text
    if (is_clean_space(c)) c = ' ';
    if (o.tokenize_chinese_chars && is_cjk(c)) {
      cps.push_back(' ');
      cps.push_back(c);
      cps.push_back(' ');
    } else {
      cps.push_back(c);
    }
  }
  if (o.strip_accents.value_or(o.lowercase)) {
    nfd(cps);
    cps.erase(std::remove_if(cps.begin(), cps.end(), [](char32_t c) { return in_table(kBertNonspacingMarks, c); }),
              cps.end());
  }
  if (o.lowercase) {
    std::vector<char32_t> lower;
    lower.reserve(cps.size());
    for (char32_t c : cps) {
      if (c == 0x130) {  // the one character whose full lowercase mapping (Rust's) is two: i + U+0307
        lower.push_back('i');
        lower.push_back(0x307);
      } else {
        lower.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
      }
    }
    cps.swap(lower);
  }
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (char32_t c : cps) {
    if (is_split_space(c)) {
      flush();
    } else if (in_table(kBertPunctuation, c)) {
      flush();
      append_utf8(c, word);
      flush();
    } else {
      append_utf8(c, word);
    }
  }
  flush();
  return words;
}

WordPiece::WordPiece(const std::vector<std::string>& vocab, const std::string& unk_token, const std::string& source,
                     std::string continuation_prefix, size_t max_chars_per_word)
    : prefix_(std::move(continuation_prefix)), max_chars_(max_chars_per_word) {
  vocab_.reserve(vocab.size());
  for (size_t i = 0; i < vocab.size(); ++i) vocab_[vocab[i]] = static_cast<int>(i);
  unk_id_ = id_of(unk_token);
  if (unk_id_ < 0)
    throw UserError(source + ": the vocabulary has no unknown token " + unk_token +
                    "; a BERT vocab.txt needs it (check unk_token in tokenizer_config.json)");
}

int WordPiece::id_of(const std::string& piece) const {
  auto it = vocab_.find(piece);
  return it == vocab_.end() ? -1 : it->second;
}

void WordPiece::encode_word(std::string_view word, std::vector<int>& ids) const {
  // Character boundaries (byte offsets) of the word.
  std::vector<size_t> bounds;
  for (size_t i = 0; i < word.size(); ++i)
    if ((static_cast<unsigned char>(word[i]) & 0xC0) != 0x80) bounds.push_back(i);
  bounds.push_back(word.size());
  const size_t chars = bounds.size() - 1;
  if (chars == 0) return;
  if (chars > max_chars_) {
    ids.push_back(unk_id_);
    return;
  }
  const size_t first = ids.size();
  std::string candidate;
  size_t start = 0;  // index into bounds
  while (start < chars) {
    size_t end = chars;
    int found = -1;
    while (end > start) {
      candidate.assign(start > 0 ? prefix_ : std::string());
      candidate.append(word.substr(bounds[start], bounds[end] - bounds[start]));
      found = id_of(candidate);
      if (found >= 0) break;
      --end;
    }
    if (found < 0) {  // a part no piece covers: the whole word is [UNK]
      ids.resize(first);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(found);
    start = end;
  }
}

void BertWordPieceEncoder::encode(std::string_view text, std::vector<int>& ids) const {
  ids.clear();
  for (const auto& w : bert_basic_tokenize(text, options_)) wordpiece_.encode_word(w, ids);
}

}  // namespace zl
