// The part of a tweet the v1.1 kernel reads, as a small document: Boost.JSON's event parser (basic_parser) walks
// the whole line - so it is still checked as JSON, UTF-8 and all - but only the keys named in a Schema are kept;
// every other value is skipped without being built. A skipped container still records its kind and size, which is
// all that Python's truthiness (``if entities:``) needs of it.
//
// Node mimics the part of boost::json::value the kernel uses. Objects keep every occurrence of a repeated key in
// order; lookups take the last one and ``dump`` writes the first position with the last value, which is what a
// Python dict decoded by orjson holds.
#pragma once

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace v1doc {

using std::string_view;

struct Fallback {};  // thrown when the Python kernel must read the line

enum class K : uint8_t { null_, bool_, int64, uint64, double_, string, array, object };

struct Schema;

struct Node {
  K k = K::null_;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  string_view s;    // a string's value
  string_view key;  // this node's key in its parent object
  size_t n = 0;     // elements of a container, also when its content was skipped
  Node* first = nullptr;
  Node* last = nullptr;
  Node* next = nullptr;
  const Schema* schema = nullptr;  // an object read with an obj schema: its fields' last values are in slots
  Node** slots = nullptr;

  K kind() const { return k; }
  bool is_null() const { return k == K::null_; }
  bool is_bool() const { return k == K::bool_; }
  bool is_int64() const { return k == K::int64; }
  bool is_uint64() const { return k == K::uint64; }
  bool is_double() const { return k == K::double_; }
  bool is_string() const { return k == K::string; }
  bool is_array() const { return k == K::array; }
  bool is_object() const { return k == K::object; }
  bool get_bool() const { return b; }
  int64_t get_int64() const { return i; }
  uint64_t get_uint64() const { return u; }
  double get_double() const { return d; }
  string_view get_string() const { return s; }
  const Node& get_array() const { return *this; }
  const Node& get_object() const { return *this; }
  bool empty() const { return n == 0; }
  size_t size() const { return n; }

  struct iterator {
    const Node* p;
    const Node& operator*() const { return *p; }
    iterator& operator++() { p = p->next; return *this; }
    bool operator!=(const iterator& o) const { return p != o.p; }
  };
  iterator begin() const { return {first}; }
  iterator end() const { return {nullptr}; }

  const Node& operator[](size_t at) const {  // only on arrays whose content was kept
    const Node* c = first;
    while (at--) c = c->next;
    return *c;
  }
  const Node* if_contains(string_view k_) const;  // the last occurrence of a key, as in a Python dict
  bool contains(string_view k_) const { return if_contains(k_) != nullptr; }
};

enum class S : uint8_t { leaf, all, obj, arr };

struct Field;
struct Schema {  // what of a value to keep
  S kind;
  const Field* fields = nullptr;  // obj: the keys kept
  size_t n_fields = 0;
  const Schema* elem = nullptr;  // arr: each element's schema
  uint8_t index[64] = {};  // obj: field by hash of a key (1 + its number; 0 none; 255 several: search)

  static unsigned hash(string_view k) {
    return k.empty() ? 0 : (k.size() * 7 + static_cast<unsigned char>(k[0]) * 3 + static_cast<unsigned char>(k.back())) & 63;
  }
  void build();
  const Field* find(string_view k) const;
};
struct Field {
  string_view key;
  const Schema* schema;
};

inline void Schema::build() {
  for (size_t j = 0; j < n_fields; ++j) {
    uint8_t& slot = index[hash(fields[j].key)];
    slot = slot == 0 ? static_cast<uint8_t>(j + 1) : 255;
  }
}

inline const Field* Schema::find(string_view k) const {
  const uint8_t slot = index[hash(k)];
  if (slot == 0) return nullptr;
  if (slot != 255) return fields[slot - 1].key == k ? &fields[slot - 1] : nullptr;
  for (size_t j = 0; j < n_fields; ++j)
    if (fields[j].key == k) return &fields[j];
  return nullptr;
}

inline const Node* Node::if_contains(string_view k_) const {
  if (slots) {  // a kept object: only its schema's keys were kept, each in its slot
    const Field* f = schema->find(k_);
    return f ? slots[f - schema->fields] : nullptr;
  }
  const Node* hit = nullptr;
  for (const Node* c = first; c; c = c->next)
    if (c->key == k_) hit = c;
  return hit;
}

inline const Schema LEAF{S::leaf}, ALL{S::all};

// Builds the document of one line; set ``root`` before each parse. Storage is bounded per line: ``chars`` holds
// every kept string and key (never more bytes than the line has), ``pool`` the nodes.
struct Handler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  const Schema* root_schema = nullptr;
  Node* root = nullptr;
  std::vector<Node> pool;
  std::vector<Node*> slot_pool;
  std::vector<char> chars;
  size_t used = 0;
  struct Frame {
    Node* node;
    const Schema* schema;
  };
  std::vector<Frame> stack;
  int skip = 0;                // depth inside a skipped container
  Node* count_into = nullptr;  // the node that records a skipped container's size
  const Schema* next_schema = nullptr;  // of the value after the key just read (nullptr: skip it)
  string_view next_key;
  size_t next_field = 0;  // its field number in the parent's schema
  size_t part_start = 0;  // a string or key arriving in parts (it has escapes)
  bool in_parts = false;

  void reset(size_t line_bytes) {
    if (pool.capacity() < 16384) pool.reserve(16384);
    pool.clear();
    if (slot_pool.capacity() < 16384) slot_pool.reserve(16384);
    slot_pool.clear();
    if (chars.size() < line_bytes + 64) chars.resize(line_bytes + 64);
    used = 0;
    stack.clear();
    skip = 0;
    count_into = nullptr;
    root = nullptr;
    in_parts = false;
  }

  static bool fail(boost::system::error_code& ec) {
    ec = boost::json::error::exception;
    return false;
  }

  string_view keep(string_view s) {  // a copy of s in chars (s may point into the parser's own buffer)
    if (in_parts) {
      std::memcpy(chars.data() + used, s.data(), s.size());
      used += s.size();
      in_parts = false;
      return string_view(chars.data() + part_start, used - part_start);
    }
    char* at = chars.data() + used;
    std::memcpy(at, s.data(), s.size());
    used += s.size();
    return string_view(at, s.size());
  }

  void part(string_view s) {
    if (!in_parts) {
      in_parts = true;
      part_start = used;
    }
    std::memcpy(chars.data() + used, s.data(), s.size());
    used += s.size();
  }

  // the schema of the next value, nullptr when it is skipped
  const Schema* schema_of_next() const {
    if (skip) return nullptr;
    if (stack.empty()) return root_schema;
    const Frame& f = stack.back();
    if (f.node->k == K::object) return next_schema;
    return f.schema->kind == S::all ? &ALL : f.schema->elem;
  }

  Node* place(K k) {  // a new kept node, linked into its parent
    if (pool.size() == pool.capacity()) return nullptr;
    pool.emplace_back();
    Node* n = &pool.back();
    n->k = k;
    if (stack.empty()) {
      root = n;
    } else {
      Node* parent = stack.back().node;
      if (parent->k == K::object) {
        n->key = next_key;
        if (parent->slots) parent->slots[next_field] = n;  // a repeated key: the last one stays
      }
      if (parent->last) parent->last->next = n;
      else parent->first = n;
      parent->last = n;
    }
    return n;
  }

  bool container_begin(K k, boost::system::error_code& ec) {
    if (skip) {
      ++skip;
      return true;
    }
    const Schema* sch = schema_of_next();
    if (!sch) {
      skip = 1;
      count_into = nullptr;
      return true;
    }
    Node* n = place(k);
    if (!n) return fail(ec);
    const bool open = sch->kind == S::all || (k == K::object ? sch->kind == S::obj : sch->kind == S::arr);
    if (open) {
      if (k == K::object && sch->kind == S::obj) {
        if (slot_pool.size() + sch->n_fields > slot_pool.capacity()) return fail(ec);
        n->slots = slot_pool.data() + slot_pool.size();
        slot_pool.resize(slot_pool.size() + sch->n_fields, nullptr);
        n->schema = sch;
      }
      stack.push_back({n, sch});
    } else {  // e.g. an object where a string belongs: its kind and size are kept, not its content
      skip = 1;
      count_into = n;
    }
    return true;
  }

  bool container_end(std::size_t n) {
    if (skip) {
      if (--skip == 0 && count_into) {
        count_into->n = n;
        count_into = nullptr;
      }
      return true;
    }
    stack.back().node->n = n;
    stack.pop_back();
    return true;
  }

  template <class F>
  bool scalar(K k, boost::system::error_code& ec, F set) {
    const Schema* sch = schema_of_next();
    if (!sch) {
      in_parts = false;
      return true;
    }
    Node* n = place(k);
    if (!n) return fail(ec);
    set(*n);
    return true;
  }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code& ec) { return container_begin(K::object, ec); }
  bool on_object_end(std::size_t n, boost::system::error_code&) { return container_end(n); }
  bool on_array_begin(boost::system::error_code& ec) { return container_begin(K::array, ec); }
  bool on_array_end(std::size_t n, boost::system::error_code&) { return container_end(n); }

  bool on_key_part(string_view s, std::size_t, boost::system::error_code&) {
    if (!skip) part(s);
    return true;
  }
  bool on_key(string_view s, std::size_t, boost::system::error_code&) {
    if (skip) return true;
    const Schema* parent = stack.back().schema;
    string_view key;
    if (in_parts) {
      key = keep(s);
    } else {
      key = s;
    }
    next_schema = nullptr;
    if (parent->kind == S::all) {
      next_schema = &ALL;
      if (key.data() != chars.data() + used - key.size()) key = keep(key);
    } else if (const Field* f = parent->find(key)) {
      next_schema = f->schema;
      next_field = static_cast<size_t>(f - parent->fields);
      key = f->key;
    }
    next_key = key;
    return true;
  }
  bool on_string_part(string_view s, std::size_t, boost::system::error_code&) {
    if (schema_of_next()) part(s);
    return true;
  }
  bool on_string(string_view s, std::size_t, boost::system::error_code& ec) {
    if (!schema_of_next()) {
      in_parts = false;
      return true;
    }
    string_view v = keep(s);
    return scalar(K::string, ec, [v](Node& n) { n.s = v; });
  }
  bool on_number_part(string_view, boost::system::error_code&) { return true; }
  bool on_int64(int64_t i, string_view, boost::system::error_code& ec) {
    return scalar(K::int64, ec, [i](Node& n) { n.i = i; });
  }
  bool on_uint64(uint64_t u, string_view, boost::system::error_code& ec) {
    return scalar(K::uint64, ec, [u](Node& n) { n.u = u; });
  }
  bool on_double(double d, string_view, boost::system::error_code& ec) {
    return scalar(K::double_, ec, [d](Node& n) { n.d = d; });
  }
  bool on_bool(bool b, boost::system::error_code& ec) {
    return scalar(K::bool_, ec, [b](Node& n) { n.b = b; });
  }
  bool on_null(boost::system::error_code& ec) {
    return scalar(K::null_, ec, [](Node&) {});
  }
  bool on_comment_part(string_view, boost::system::error_code&) { return true; }
  bool on_comment(string_view, boost::system::error_code&) { return true; }
};

}  // namespace v1doc

namespace v1 {  // the kernel's own namespace (values.hpp, json_out.hpp, v1.cpp)
using std::string;
using std::string_view;
using v1doc::Fallback;
using v1doc::K;
using v1doc::Node;
}  // namespace v1
