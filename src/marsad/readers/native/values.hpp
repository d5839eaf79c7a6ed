// The value helpers of the Python kernel (twitter_common: to_id, to_str, count, to_time, strs... and Python's
// truthiness and ``a or b``), on the document of doc.hpp. Each replays only the cases it is sure of and throws
// Fallback for the rest, which the Python kernel then reads. Included by v1.cpp only.
#pragma once

#include "doc.hpp"

namespace v1 {
namespace {

using V = const Node*;  // nullptr: absent; Python's dict.get gives None for absent and null alike

V get(const Node& o, string_view k) {
  V v = o.if_contains(k);
  return (v && v->is_null()) ? nullptr : v;
}

bool truthy(V v) {
  if (!v) return false;
  switch (v->kind()) {
    case K::null_: return false;
    case K::bool_: return v->get_bool();
    case K::int64: return v->get_int64() != 0;
    case K::uint64: return v->get_uint64() != 0;
    case K::double_: return v->get_double() != 0.0;
    case K::string: return !v->get_string().empty();
    case K::array: return !v->get_array().empty();
    case K::object: return !v->get_object().empty();
  }
  return false;
}

V or_(V a, V b) { return truthy(a) ? a : b; }  // Python's ``a or b`` on dict.get results

const Node& obj(V v) {  // a value the Python kernel calls .get on
  if (!v || !v->is_object()) throw Fallback();
  return v->get_object();
}

const Node* obj_or_empty(V v) {  // ``v or {}``
  if (!truthy(v)) return nullptr;
  return &obj(v);
}

std::optional<string_view> to_str(V v) {
  if (!v) return std::nullopt;
  if (!v->is_string()) throw Fallback();  // numbers are written out by Python's str(): left to it
  return string_view(v->get_string());
}

bool ascii_digits(string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::optional<string> to_id(V v) {
  if (!v) return std::nullopt;
  if (v->is_string()) {
    string_view s = v->get_string();
    if (s.empty()) return std::nullopt;
    if (!ascii_digits(s)) throw Fallback();
    return string(s);
  }
  if (v->is_int64() && v->get_int64() >= 0) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  throw Fallback();
}

std::optional<long long> count(V v) {
  if (!v) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= 1000000000000LL) return v->get_int64();
  throw Fallback();
}

std::optional<long long> to_int(V v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  throw Fallback();
}

std::optional<bool> to_bool(V v) {
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  throw Fallback();
}

// --- dates: "Wed May 24 19:51:35 +0000 2017" only; other forms are the Python kernel's ----------------------------

inline long long g_floor = 0, g_future = 0;  // epoch seconds: before the platform existed / more than two days ahead

long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

int num(string_view s, size_t at, size_t n) {
  int x = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') throw Fallback();
    x = x * 10 + (s[i] - '0');
  }
  return x;
}

std::optional<string> to_time(V v) {
  if (!v) return std::nullopt;
  if (!v->is_string()) throw Fallback();
  string_view s = v->get_string();
  if (s.size() != 30 || s[3] != ' ' || s.substr(19, 7) != " +0000 ") throw Fallback();
  static const char* months = "JanFebMarAprMayJunJulAugSepOctNovDec";
  const char* hit = nullptr;
  for (int i = 0; i < 12; ++i)
    if (std::memcmp(months + 3 * i, s.data() + 4, 3) == 0) hit = months + 3 * i;
  if (!hit || s[7] != ' ' || s[10] != ' ' || s[13] != ':' || s[16] != ':') throw Fallback();
  for (char c : s) if (static_cast<unsigned char>(c) >= 0x80) throw Fallback();
  const unsigned mon = static_cast<unsigned>((hit - months) / 3 + 1);
  const int year = num(s, 26, 4), day = num(s, 8, 2), hh = num(s, 11, 2), mm = num(s, 14, 2), ss = num(s, 17, 2);
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int dim = mdays[mon - 1] + (mon == 2 && leap);
  if (year < 1 || day < 1 || day > dim || hh > 23 || mm > 59 || ss > 59) throw Fallback();
  const long long t = days_from_civil(year, mon, static_cast<unsigned>(day)) * 86400 + hh * 3600 + mm * 60 + ss;
  if (t < g_floor || t > g_future) throw Fallback();
  string out = "0000-00-00T00:00:00+00:00";  // as Python writes an aware UTC datetime
  auto two = [&out](size_t at, int x) { out[at] = static_cast<char>('0' + x / 10); out[at + 1] = static_cast<char>('0' + x % 10); };
  two(0, year / 100);
  two(2, year % 100);
  two(5, static_cast<int>(mon));
  two(8, day);
  two(11, hh);
  two(14, mm);
  two(17, ss);
  return out;
}

// --- entity lists ------------------------------------------------------------------------------------------------

std::vector<string> strs(V items, string_view key, bool lower) {
  std::vector<string> out;
  if (!truthy(items)) return out;
  if (!items->is_array()) throw Fallback();
  for (const auto& it : items->get_array()) {
    V v = get(obj(&it), key);
    if (v && v->is_string()) {
      string s(v->get_string());
      if (lower)
        for (char& c : s) {
          if (static_cast<unsigned char>(c) >= 0x80) throw Fallback();  // Python's Unicode lower(): left to it
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        }
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<string> firsts(V items, string_view a, string_view b) {  // [x[a] or x[b] for x in items if a str]
  std::vector<string> out;
  if (!truthy(items)) return out;
  if (!items->is_array()) throw Fallback();
  for (const auto& it : items->get_array()) {
    const auto& o = obj(&it);
    V v = or_(get(o, a), get(o, b));
    if (v && v->is_string()) out.emplace_back(v->get_string());
  }
  return out;
}

V media_of(const Node* ents, const Node* xents) {
  return or_(xents ? get(*xents, "media") : nullptr, ents ? get(*ents, "media") : nullptr);
}

}  // namespace
}  // namespace v1
