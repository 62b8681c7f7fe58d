#pragma once
// Runs a request through the router and turns every failure into the
// OpenAI-shaped error body: the one place where exceptions become answers.
#include <string>

#include "http/router.h"

namespace hydra::http {

// `route_label` receives the matched pattern ("unmatched" otherwise), a
// bounded label for metrics.
Response dispatch(const Router& router, Request& req, std::string* route_label);

}  // namespace hydra::http
