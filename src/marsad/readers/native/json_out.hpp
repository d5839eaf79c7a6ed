// Writing the staged rows: JSON objects with strings escaped as orjson escapes them, and ``dump`` of a kept value
// as orjson.dumps writes the Python kernel's dict (floats are left to the Python kernel). Included by v1.cpp only.
#pragma once

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cstdint>

#include "doc.hpp"

namespace v1 {
namespace {

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void put_chars(string& o, string_view s) {  // s escaped, without the quotes
  static const char* hex = "0123456789abcdef";
  size_t run = 0;  // start of the stretch copied as it is
  for (size_t i = 0; i < s.size(); ++i) {
    // eight bytes at a time while none of them needs escaping (a byte < 0x20, '"' or '\\')
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
      const uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
      const uint64_t hit = (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
      if (hit) break;
      i += 8;
    }
    if (i >= s.size()) break;
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    o.append(s.data() + run, i - run);
    run = i + 1;
    if (c >= 0x20) {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c == '\n' || c == '\t' || c == '\r' || c == '\b' || c == '\f') {  // orjson's short escapes
      o += '\\';
      o += c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : c == '\b' ? 'b' : 'f';
    } else {
      o += "\\u00";
      o += hex[c >> 4];
      o += hex[c & 15];
    }
  }
  o.append(s.data() + run, s.size() - run);
}

void put_str(string& o, string_view s) {
  o += '"';
  put_chars(o, s);
  o += '"';
}

void put_int(string& o, long long x) {
  char b[24];
  const auto r = std::to_chars(b, b + sizeof b, x);
  o.append(b, static_cast<size_t>(r.ptr - b));
}

struct Row {  // one JSON object being written
  string& o;
  bool first = true;
  explicit Row(string& out) : o(out) { o += '{'; }
  void key(string_view k) {  // our own column names: nothing to escape
    if (!first) o += ',';
    first = false;
    o += '"';
    o.append(k.data(), k.size());
    o += "\":";
  }
  template <class T>
  void opt(string_view k, const std::optional<T>& v) {  // a NULL is left out: read_json gives absent keys NULL
    if (!v) return;
    key(k);
    put(*v);
  }
  void put(string_view s) { put_str(o, s); }
  void put(const string& s) { put_str(o, s); }
  void put(long long x) { put_int(o, x); }
  void put(bool b) { o += b ? "true" : "false"; }
  void list(string_view k, const std::vector<string>& xs) {
    key(k);
    o += '[';
    for (size_t i = 0; i < xs.size(); ++i) {
      if (i) o += ',';
      put_str(o, xs[i]);
    }
    o += ']';
  }
  void dbl(string_view k, std::optional<double> v) {
    if (!v) return;
    key(k);
    o += boost::json::serialize(boost::json::value(*v));
  }
  void close() { o += '}'; }
};

// ``extra`` is staged as the text orjson.dumps gives the Python kernel's dict (``dumps_extra``): compact, keys in
// insertion order, strings escaped as orjson does. Floats are left to the Python kernel (orjson's float format).
void dump(string& o, const Node& v) {
  switch (v.kind()) {
    case K::null_: o += "null"; break;
    case K::bool_: o += v.get_bool() ? "true" : "false"; break;
    case K::int64: put_int(o, v.get_int64()); break;
    case K::uint64: o += std::to_string(v.get_uint64()); break;
    case K::double_: throw Fallback();
    case K::string: put_str(o, v.get_string()); break;
    case K::array: {
      o += '[';
      bool first = true;
      for (const Node& x : v) {
        if (!first) o += ',';
        first = false;
        dump(o, x);
      }
      o += ']';
      break;
    }
    case K::object: {  // a repeated key: its first position, its last value (a Python dict)
      o += '{';
      bool first = true;
      for (const Node* c = v.first; c; c = c->next) {
        bool seen = false;
        for (const Node* e = v.first; e != c; e = e->next) seen |= e->key == c->key;
        if (seen) continue;
        if (!first) o += ',';
        first = false;
        put_str(o, c->key);
        o += ':';
        dump(o, *v.if_contains(c->key));
      }
      o += '}';
      break;
    }
  }
}

}  // namespace
}  // namespace v1
