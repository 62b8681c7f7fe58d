#include "http/router.h"

#include <stdexcept>

#include "common/strings.h"

namespace hydra::http {
namespace {

std::vector<std::string> path_segments(std::string_view path) {
  std::vector<std::string> out;
  for (auto& s : split(path, '/')) {
    if (!s.empty()) out.push_back(std::move(s));
  }
  return out;
}

bool is_capture(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

bool is_rest_capture(const std::string& seg) {
  return is_capture(seg) && seg.size() > 5 && seg.compare(seg.size() - 4, 4, "...}") == 0;
}

// Matches `segs` against the route; fills params on success.
bool match_segments(const Route& route, const std::vector<std::string>& segs,
                    std::map<std::string, std::string>* params) {
  const auto& pat = route.segments;
  for (size_t i = 0; i < pat.size(); ++i) {
    if (is_rest_capture(pat[i])) {
      if (i >= segs.size()) return false;
      std::string rest = segs[i];
      for (size_t j = i + 1; j < segs.size(); ++j) rest += "/" + segs[j];
      (*params)[pat[i].substr(1, pat[i].size() - 5)] = rest;
      return true;
    }
    if (i >= segs.size()) return false;
    if (is_capture(pat[i])) {
      (*params)[pat[i].substr(1, pat[i].size() - 2)] = segs[i];
    } else if (pat[i] != segs[i]) {
      return false;
    }
  }
  return pat.size() == segs.size();
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler, std::string summary) {
  Route r{
      std::move(method), std::move(pattern), std::move(summary), std::move(handler), nullptr, {}};
  r.segments = path_segments(r.pattern);
  for (const auto& existing : routes_) {
    if (existing.method == r.method && existing.pattern == r.pattern) {
      throw std::logic_error("route registered twice: " + r.method + " " + r.pattern);
    }
  }
  bool literal = true;
  for (const auto& seg : r.segments) literal = literal && !is_capture(seg);
  if (literal) literal_[r.pattern].push_back(routes_.size());
  routes_.push_back(std::move(r));
}

void Router::add_async(std::string method, std::string pattern, AsyncHandler handler,
                       std::string summary) {
  add(std::move(method), std::move(pattern), nullptr, std::move(summary));
  routes_.back().async_handler = std::move(handler);
}

void Router::add_async(std::string method, std::string pattern, AsyncHandler handler,
                       Handler blocking, std::string summary) {
  add(std::move(method), std::move(pattern), std::move(blocking), std::move(summary));
  routes_.back().async_handler = std::move(handler);
}

const Route* Router::match(Request& req, bool* path_matched) const {
  if (auto hit = literal_.find(req.path); hit != literal_.end()) {
    for (size_t i : hit->second) {
      if (routes_[i].method != req.method) continue;
      if (path_matched) *path_matched = true;
      req.path_params.clear();
      return &routes_[i];
    }
  }
  auto segs = path_segments(req.path);
  const Route* best = nullptr;
  std::map<std::string, std::string> best_params;
  if (path_matched) *path_matched = false;
  // Literal segments win over captures: prefer the route with the most literals.
  int best_literals = -1;
  for (const auto& route : routes_) {
    std::map<std::string, std::string> params;
    if (!match_segments(route, segs, &params)) continue;
    if (path_matched) *path_matched = true;
    if (route.method != req.method) continue;
    int literals = 0;
    for (const auto& s : route.segments) literals += is_capture(s) ? 0 : 1;
    if (literals > best_literals) {
      best = &route;
      best_literals = literals;
      best_params = std::move(params);
    }
  }
  if (best) req.path_params = std::move(best_params);
  return best;
}

}  // namespace hydra::http
