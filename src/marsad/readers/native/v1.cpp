// Native fast path of the Twitter API v1.1 line kernel (marsad.readers.twitter_v1), for the parallel ingest.
//
// parse_block(buf, first_line, floor_epoch, future_epoch) reads the JSON lines of ``buf`` and, for each line that
// is an ordinary well-formed tweet, writes the staged post and account rows exactly as the Python kernel
// (``TwitterV1Reader.parse_line`` followed by ``Sink.add``) would give them. Any line it is not sure of -
// malformed JSON, a notice, a value of an unexpected type, a date not in the API's usual form, a date or
// coordinates out of range, non-ASCII mentions to lower-case, a float among the ``extra`` fields, an embedded tweet
// the Python kernel would drop or that repeats an id - is handed back untouched, and the Python kernel reads it.
// The Python kernel defines the semantics; this file replays its common case, function for function
// (status_post, user_observation, full_text, ...). tests/test_native_v1.py checks that both agree on every real
// sample and on thousands of randomly changed real tweets.
//
// Files: doc.hpp (Boost.JSON's event parser building only the part of a tweet the kernel reads), values.hpp (the
// value helpers), json_out.hpp (writing rows), this file (the mapping, the schema of what is read, the module).
//
// Returns (posts: bytes, keys: bytes, n_posts, accounts: bytes, n_accounts, n_lines_done,
// fallback: list[(line, start, end)]);
// the row blobs are JSON lines joined by "\n" (no trailing newline). NULL columns are left out of the rows.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <boost/json/src.hpp>  // header-only Boost.JSON, compiled into this one translation unit

#include "doc.hpp"
#include "json_out.hpp"
#include "values.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace json = boost::json;
using std::string;
using std::string_view;
using v1doc::Fallback;
using v1doc::K;
using v1doc::Node;
using namespace v1;

namespace {

struct Extra {  // the post's ``extra`` object, in the Python kernel's key order
  string text;  // "k":v,"k":v
  void key(string_view k) {
    if (!text.empty()) text += ',';
    put_str(text, k);
    text += ':';
  }
  void add(string_view k, const Node* v) {
    key(k);
    if (v) dump(text, *v);
    else text += "null";
  }
};

bool picked(V v) {  // pick(): present, not null, and not an empty list/object
  return v && (truthy(v) || !(v->is_array() || v->is_object()));
}

const char* const EXTRA_KEYS[] = {
    "retweet_count", "favorite_count", "quote_count", "reply_count", "possibly_sensitive", "withheld_in_countries",
    "withheld_copyright", "withheld_scope", "filter_level", "matching_rules", "scopes", "timestamp_ms"};

struct Account {
  string id;
  std::optional<string_view> handle, name, description, location, time_zone, avatar, lang;
  std::optional<long long> utc_offset, followers, following, statuses;
  std::optional<string> created;
  std::optional<bool> verified;
};

struct Post {
  string id;
  Account acc;
  string created;
  std::optional<string_view> text, lang, source, reply_handle, repost_handle, country, place_name;
  std::optional<string> reply_post, reply_account, quote_post, quote_account, repost_post, repost_account;
  std::vector<string> mentions, hashtags, urls, media;
  std::optional<double> lat, lon;
  Extra extra;
};

Account user_observation(const Node& u) {
  Account a;
  auto uid = to_id(or_(get(u, "id_str"), get(u, "id")));
  a.handle = to_str(get(u, "screen_name"));
  if (!uid) throw Fallback();  // "@handle" ids: the Python kernel's
  a.id = *uid;
  a.name = to_str(get(u, "name"));
  a.description = to_str(get(u, "description"));
  a.location = to_str(get(u, "location"));
  a.utc_offset = to_int(get(u, "utc_offset"));
  a.time_zone = to_str(get(u, "time_zone"));
  a.followers = count(get(u, "followers_count"));
  a.following = count(get(u, "friends_count"));
  a.statuses = count(get(u, "statuses_count"));
  a.created = to_time(get(u, "created_at"));
  a.avatar = to_str(or_(get(u, "profile_image_url_https"), get(u, "profile_image_url")));
  a.verified = to_bool(get(u, "verified"));
  a.lang = to_str(get(u, "lang"));
  return a;
}

struct Texts {  // full_text(): the extended tweet's text and entities when it has one
  V text, ents, xents;
};

Texts full_text(const Node& t) {
  V ext = get(t, "extended_tweet");
  if (truthy(ext)) {
    const auto& e = obj(ext);
    return {or_(or_(get(e, "full_text"), get(t, "full_text")), get(t, "text")),
            or_(get(e, "entities"), get(t, "entities")), or_(get(e, "extended_entities"), get(t, "extended_entities"))};
  }
  V text = get(t, "full_text");
  return {text ? text : get(t, "text"), get(t, "entities"), get(t, "extended_entities")};
}

void coords(Post& p, V c, int lat_i, int lon_i) {
  if (!truthy(c)) return;
  if (!c->is_array() || c->get_array().size() < 2) throw Fallback();
  const auto& a = c->get_array();
  const Node &la = a[lat_i], &lo = a[lon_i];
  if (la.is_null() || lo.is_null()) return;
  auto num = [](const Node& x) {
    if (x.is_int64()) return static_cast<double>(x.get_int64());
    if (x.is_uint64()) return static_cast<double>(x.get_uint64());
    if (x.is_double()) return x.get_double();
    throw Fallback();
  };
  const double y = num(la), x = num(lo);
  if (!(y >= -90.0 && y <= 90.0 && x >= -180.0 && x <= 180.0)) throw Fallback();
  p.lat = y;
  p.lon = x;
}

void entities(Post& p, const Node* ents, const Node* xents) {
  p.mentions = strs(ents ? get(*ents, "user_mentions") : nullptr, "screen_name", true);
  p.hashtags = strs(ents ? get(*ents, "hashtags") : nullptr, "text", false);
  p.urls = firsts(ents ? get(*ents, "urls") : nullptr, "expanded_url", "url");
  p.media = firsts(media_of(ents, xents), "media_url_https", "media_url");
}

Post status_post(const Node& t) {
  Post p;
  auto pid = to_id(or_(get(t, "id_str"), get(t, "id")));
  if (!pid) throw Fallback();
  p.id = *pid;
  auto created = to_time(get(t, "created_at"));
  if (!created) throw Fallback();
  p.created = *created;
  p.acc = user_observation(obj(get(t, "user")));
  Texts tx = full_text(t);
  if (!tx.text) throw Fallback();
  p.text = to_str(tx.text);
  const Node* ents = nullptr;
  if (tx.ents) ents = &obj(tx.ents);  // None becomes {}; anything else but an object is the Python kernel's
  const Node* xents = obj_or_empty(tx.xents);
  const Node* place = obj_or_empty(get(t, "place"));
  V cs = get(t, "coordinates");
  if (truthy(cs)) coords(p, get(obj(cs), "coordinates"), 1, 0);  // GeoJSON: [lon, lat]
  else if (truthy(get(t, "geo"))) coords(p, get(obj(get(t, "geo")), "coordinates"), 0, 1);  // legacy: [lat, lon]
  for (const char* k : EXTRA_KEYS) {
    V v = get(t, k);
    if (picked(v)) p.extra.add(k, v);
  }
  V symbols = ents ? get(*ents, "symbols") : nullptr;
  if (truthy(symbols)) {
    p.extra.key("symbols");
    string& s = p.extra.text;
    s += '[';
    bool first = true;
    for (const auto& x : strs(symbols, "text", false)) {
      if (!first) s += ',';
      first = false;
      put_str(s, x);
    }
    s += ']';
  }
  if (place) {
    p.extra.key("place");
    string& s = p.extra.text;
    s += '{';
    bool first = true;
    for (const char* k : {"id", "place_type", "country"}) {
      V v = get(*place, k);
      if (!picked(v)) continue;
      if (!first) s += ',';
      first = false;
      put_str(s, k);
      s += ':';
      dump(s, *v);
    }
    s += '}';
  }
  const auto& user = obj(get(t, "user"));
  V derived = get(user, "derived");
  if (truthy(derived) && truthy(get(obj(derived), "locations")))
    p.extra.add("user_derived_locations", get(obj(derived), "locations"));
  if (const Node* w = user.if_contains("withheld_in_countries"))
    p.extra.add("user_withheld_in_countries", w->is_null() ? nullptr : w);
  V qid = or_(get(t, "quoted_status_id_str"), get(t, "quoted_status_id"));
  p.lang = to_str(get(t, "lang"));
  p.source = to_str(get(t, "source"));
  p.reply_post = to_id(or_(get(t, "in_reply_to_status_id_str"), get(t, "in_reply_to_status_id")));
  p.reply_account = to_id(or_(get(t, "in_reply_to_user_id_str"), get(t, "in_reply_to_user_id")));
  p.reply_handle = to_str(get(t, "in_reply_to_screen_name"));
  p.quote_post = to_id(qid);
  entities(p, ents, xents);
  if (place) {
    auto cc = to_str(get(*place, "country_code"));
    if (cc && !cc->empty()) p.country = cc;
    p.place_name = to_str(or_(get(*place, "full_name"), get(*place, "name")));
  }
  return p;
}

void write_post(string& o, const Post& p, long long pos, bool embedded, bool repost) {
  Row r(o);
  r.key("platform"); r.put(string_view("twitter"));
  r.key("post_id"); r.put(p.id);
  r.key("account_id"); r.put(p.acc.id);
  r.opt("account_handle", p.acc.handle);
  r.key("created_at"); r.put(p.created);
  r.opt("text", p.text);
  r.opt("lang", p.lang);
  r.opt("source", p.source);
  if (repost) {
    r.opt("repost_of_post_id", p.repost_post);
    r.opt("repost_of_account_id", p.repost_account);
    r.opt("repost_of_handle", p.repost_handle);
  }
  r.opt("reply_to_post_id", p.reply_post);
  r.opt("reply_to_account_id", p.reply_account);
  r.opt("reply_to_handle", p.reply_handle);
  r.opt("quote_of_post_id", p.quote_post);
  if (p.quote_account) r.opt("quote_of_account_id", p.quote_account);
  r.list("mentions", p.mentions);
  r.list("hashtags", p.hashtags);
  r.list("urls", p.urls);
  r.list("media_urls", p.media);
  r.dbl("lat", p.lat);
  r.dbl("lon", p.lon);
  r.opt("place_country_code", p.country);
  r.opt("place_name", p.place_name);
  if (!p.extra.text.empty()) {  // dumps_extra: no extra fields, NULL
    r.key("extra");
    o += "\"{";  // a JSON string holding the object's text
    put_chars(o, p.extra.text);
    o += "}\"";
  }
  r.key("record_position"); r.put(pos);
  r.key("embedded"); r.put(embedded);
  r.close();
}

void write_key(string& o, const Post& p, long long pos, bool embedded) {  // staging.KEY_SCHEMA
  Row r(o);
  r.key("platform"); r.put(string_view("twitter"));
  r.key("post_id"); r.put(p.id);
  r.key("embedded"); r.put(embedded);
  r.key("record_position"); r.put(pos);
  r.close();
}

void write_account(string& o, const Account& a, const string& observed, long long pos) {
  Row r(o);
  r.key("platform"); r.put(string_view("twitter"));
  r.key("account_id"); r.put(a.id);
  r.opt("handle", a.handle);
  r.opt("display_name", a.name);
  r.opt("description", a.description);
  r.opt("location", a.location);
  r.opt("utc_offset", a.utc_offset);
  r.opt("time_zone", a.time_zone);
  r.opt("followers", a.followers);
  r.opt("following", a.following);
  r.opt("statuses", a.statuses);
  r.opt("created_at", a.created);
  r.opt("avatar_url", a.avatar);
  r.opt("verified", a.verified);
  r.opt("lang", a.lang);
  r.key("observed_at"); r.put(observed);
  r.key("record_position"); r.put(pos);
  r.close();
}

// parse_tweet(): the primary post, its retweeted original and the quoted tweet, each once
int tweet(const Node& t, long long pos, string& posts, string& keys, string& accounts) {
  if (!t.contains("user") && !t.contains("id_str")) throw Fallback();  // notices and oddities
  std::vector<Post> ps;
  ps.reserve(3);  // never reallocated: ``post`` stays valid
  ps.push_back(status_post(t));
  Post& post = ps[0];
  const Node* quoted_owner = &t;
  V rt = get(t, "retweeted_status");
  bool repost = false;
  if (truthy(rt)) {
    const auto& r = obj(rt);
    Texts tx = full_text(r);
    Post tmp;
    entities(tmp, obj_or_empty(tx.ents), obj_or_empty(tx.xents));
    post.text = to_str(tx.text);
    post.mentions = std::move(tmp.mentions);
    post.hashtags = std::move(tmp.hashtags);
    post.urls = std::move(tmp.urls);
    post.media = std::move(tmp.media);
    post.quote_post.reset();
    post.repost_post = to_id(or_(get(r, "id_str"), get(r, "id")));
    V ru = get(r, "user");
    if (ru && ru->is_object()) {
      post.repost_account = to_id(or_(get(ru->get_object(), "id_str"), get(ru->get_object(), "id")));
      post.repost_handle = to_str(get(ru->get_object(), "screen_name"));
    }
    repost = true;
    ps.push_back(status_post(r));
    quoted_owner = &r;
  }
  V qs = get(*quoted_owner, "quoted_status");
  if (truthy(qs)) {
    const auto& q = obj(qs);
    Post& owner = ps.back();  // the primary, or the retweeted original that holds the quote
    if (!owner.quote_post) owner.quote_post = to_id(or_(get(q, "id_str"), get(q, "id")));
    V qu = get(q, "user");
    if (qu && qu->is_object()) owner.quote_account = to_id(or_(get(qu->get_object(), "id_str"), get(qu->get_object(), "id")));
    ps.push_back(status_post(q));
  }
  for (size_t i = 1; i < ps.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (ps[i].id == ps[j].id) throw Fallback();  // a repeated id: the Python kernel's de-duplication
  for (size_t i = 0; i < ps.size(); ++i) {
    if (!posts.empty()) posts += '\n';
    write_post(posts, ps[i], pos, i > 0, i == 0 && repost);
    if (!keys.empty()) keys += '\n';
    write_key(keys, ps[i], pos, i > 0);
    if (!accounts.empty()) accounts += '\n';
    write_account(accounts, ps[i].acc, ps[0].created, pos);
  }
  return static_cast<int>(ps.size());
}

const size_t MAX_NATIVE_LINE = 8u << 20;  // longer lines (far beyond any real tweet) go to the Python kernel

// --- what of a tweet the kernel reads (every key it looks up, at the level it looks it up) -----------------------

using v1doc::ALL;
using v1doc::Field;
using v1doc::LEAF;
using v1doc::S;
using v1doc::Schema;

template <size_t N>
Schema object_of(const Field (&f)[N]) {
  Schema s{S::obj, f, N, nullptr};
  s.build();
  return s;
}
Schema array_of(const Schema& elem) { return Schema{S::arr, nullptr, 0, &elem}; }

const Field MENTION_F[] = {{"screen_name", &LEAF}};
const Field TEXT_F[] = {{"text", &LEAF}};
const Field URL_F[] = {{"expanded_url", &LEAF}, {"url", &LEAF}};
const Field MEDIA_F[] = {{"media_url_https", &LEAF}, {"media_url", &LEAF}};
const Schema MENTION = object_of(MENTION_F), TEXT = object_of(TEXT_F), URL = object_of(URL_F),
             MEDIA = object_of(MEDIA_F);
const Schema MENTIONS = array_of(MENTION), TEXTS = array_of(TEXT), URLS = array_of(URL), MEDIAS = array_of(MEDIA);
const Field ENT_F[] = {{"user_mentions", &MENTIONS}, {"hashtags", &TEXTS}, {"symbols", &TEXTS}, {"urls", &URLS},
                       {"media", &MEDIAS}};
const Field XENT_F[] = {{"media", &MEDIAS}};
const Schema ENT = object_of(ENT_F), XENT = object_of(XENT_F);
const Field EXT_F[] = {{"full_text", &LEAF}, {"entities", &ENT}, {"extended_entities", &XENT}};
const Field DERIVED_F[] = {{"locations", &ALL}};
const Schema EXT = object_of(EXT_F), DERIVED = object_of(DERIVED_F);
const Field USER_F[] = {
    {"id", &LEAF}, {"id_str", &LEAF}, {"screen_name", &LEAF}, {"name", &LEAF}, {"description", &LEAF},
    {"location", &LEAF}, {"utc_offset", &LEAF}, {"time_zone", &LEAF}, {"followers_count", &LEAF},
    {"friends_count", &LEAF}, {"statuses_count", &LEAF}, {"created_at", &LEAF}, {"profile_image_url_https", &LEAF},
    {"profile_image_url", &LEAF}, {"verified", &LEAF}, {"lang", &LEAF}, {"derived", &DERIVED},
    {"withheld_in_countries", &ALL}};
const Field PLACE_F[] = {{"country_code", &LEAF}, {"full_name", &LEAF}, {"name", &LEAF},
                         {"id", &ALL},           {"place_type", &ALL}, {"country", &ALL}};
const Field COORDS_F[] = {{"coordinates", &ALL}};
const Schema USER = object_of(USER_F), PLACE = object_of(PLACE_F), COORDS = object_of(COORDS_F);
extern const Schema STATUS;
const Field STATUS_F[] = {
    {"id", &LEAF}, {"id_str", &LEAF}, {"created_at", &LEAF}, {"text", &LEAF}, {"full_text", &LEAF},
    {"lang", &LEAF}, {"source", &LEAF}, {"in_reply_to_status_id", &LEAF}, {"in_reply_to_status_id_str", &LEAF},
    {"in_reply_to_user_id", &LEAF}, {"in_reply_to_user_id_str", &LEAF}, {"in_reply_to_screen_name", &LEAF},
    {"quoted_status_id", &LEAF}, {"quoted_status_id_str", &LEAF}, {"user", &USER}, {"extended_tweet", &EXT},
    {"entities", &ENT}, {"extended_entities", &XENT}, {"place", &PLACE}, {"coordinates", &COORDS},
    {"geo", &COORDS}, {"retweet_count", &ALL}, {"favorite_count", &ALL}, {"quote_count", &ALL},
    {"reply_count", &ALL}, {"possibly_sensitive", &ALL}, {"withheld_in_countries", &ALL},
    {"withheld_copyright", &ALL}, {"withheld_scope", &ALL}, {"filter_level", &ALL}, {"matching_rules", &ALL},
    {"scopes", &ALL}, {"timestamp_ms", &ALL}, {"retweeted_status", &STATUS}, {"quoted_status", &STATUS}};
const Schema STATUS = object_of(STATUS_F);

PyObject* parse_block(PyObject*, PyObject* args) {
  Py_buffer buf;
  long long first_line;
  if (!PyArg_ParseTuple(args, "y*LLL", &buf, &first_line, &g_floor, &g_future)) return nullptr;
  string posts, keys, accounts;
  long long n_rows = 0, n_done = 0;
  std::vector<std::array<long long, 3>> fallback;  // (line, start, end) of the lines left to the Python kernel
  const char* data = static_cast<const char*>(buf.buf);
  const size_t size = static_cast<size_t>(buf.len);
  json::parse_options opt;
  opt.numbers = json::number_precision::precise;
  opt.max_depth = 1000;
  Py_BEGIN_ALLOW_THREADS
  posts.reserve(static_cast<size_t>(buf.len));
  accounts.reserve(static_cast<size_t>(buf.len) / 4);
  static thread_local json::basic_parser<v1doc::Handler>* parser = nullptr;
  if (!parser) parser = new json::basic_parser<v1doc::Handler>(opt);
  v1doc::Handler& doc = parser->handler();
  doc.root_schema = &STATUS;
  size_t start = 0;
  long long line = first_line;
  while (start < size) {
    const char* nl = static_cast<const char*>(std::memchr(data + start, '\n', size - start));
    const size_t end = nl ? static_cast<size_t>(nl - data) + 1 : size;
    const string_view text(data + start, end - start);
    const size_t mark_p = posts.size(), mark_k = keys.size(), mark_a = accounts.size();
    bool ok = false;
    size_t ws = 0;
    while (ws < text.size() && (text[ws] == ' ' || text[ws] == '\t' || text[ws] == '\r')) ++ws;
    // blank lines, a byte-order mark and anything but an object are the Python kernel's
    if (text.size() <= MAX_NATIVE_LINE && ws < text.size() && text[ws] == '{') {
      try {
        parser->reset();
        doc.reset(text.size());
        boost::system::error_code ec;
        const size_t used = parser->write_some(false, text.data(), text.size(), ec);
        size_t rest = used;
        while (rest < text.size() && (text[rest] == ' ' || text[rest] == '\t' || text[rest] == '\r' ||
                                      text[rest] == '\n')) ++rest;
        if (!ec && parser->done() && rest == text.size() && doc.root && doc.root->is_object()) {
          n_rows += tweet(*doc.root, line, posts, keys, accounts);
          ok = true;
        }
      } catch (const Fallback&) {
      } catch (const std::exception&) {
      }
    }
    if (ok) {
      ++n_done;
    } else {
      posts.resize(mark_p);
      keys.resize(mark_k);
      accounts.resize(mark_a);
      fallback.push_back({line, static_cast<long long>(start), static_cast<long long>(end)});
    }
    start = end;
    ++line;
  }
  Py_END_ALLOW_THREADS
  PyBuffer_Release(&buf);
  PyObject* fb = PyList_New(static_cast<Py_ssize_t>(fallback.size()));
  if (!fb) return nullptr;
  for (size_t i = 0; i < fallback.size(); ++i) {
    PyObject* item = Py_BuildValue("(LLL)", fallback[i][0], fallback[i][1], fallback[i][2]);
    if (!item) { Py_DECREF(fb); return nullptr; }
    PyList_SET_ITEM(fb, static_cast<Py_ssize_t>(i), item);
  }
  return Py_BuildValue("(y#y#Ly#LLN)", posts.data(), static_cast<Py_ssize_t>(posts.size()), keys.data(),
                       static_cast<Py_ssize_t>(keys.size()), n_rows, accounts.data(),
                       static_cast<Py_ssize_t>(accounts.size()), n_rows, n_done, fb);
}

PyMethodDef methods[] = {
    {"parse_block", parse_block, METH_VARARGS, "Read the ordinary v1.1 tweets of a block of JSON lines natively."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module = {PyModuleDef_HEAD_INIT, "_v1native", "Native fast path of the v1.1 line kernel.", -1, methods,
                      nullptr, nullptr, nullptr, nullptr};

}  // namespace

PyMODINIT_FUNC PyInit__v1native() { return PyModule_Create(&module); }
