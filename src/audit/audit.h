#pragma once
// Audit events (DESIGN.md §3). Every mutation calls record() with the same
// Session that made the change, so the event commits or rolls back with it.
#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"

namespace hydra::audit {

struct Event {
  std::string id;
  int64_t time = 0;
  std::string actor_id;
  std::string actor_name;
  std::string workspace_id;
  std::string action;         // CreateModel, DeleteWSAPIKey, Login, ...
  std::string resource_type;  // model, api_key, user, ...
  std::string resource_id;
  std::string result = "success";
  std::string detail;
  std::string source_ip;
  std::string request_id;
};

void record(store::Session& s, Event e);

struct Query {
  std::string actor;     // user name
  std::string actor_id;  // user id; set to confine a non-admin to their own events
  std::string action;
  std::string resource_type;
  std::string resource_id;
  std::string workspace_id;
  int64_t since_ms = -1;
  int64_t until_ms = -1;
  int64_t offset = 0;
  int64_t limit = 50;
};

struct Page {
  std::vector<Event> items;
  int64_t total = 0;
};

Page query(store::Store& st, const Query& q);
std::string to_csv(const std::vector<Event>& events);

}  // namespace hydra::audit
