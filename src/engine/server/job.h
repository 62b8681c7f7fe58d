#pragma once
// One prepared generation request as the service's coroutines carry it.
#include <chrono>
#include <memory>
#include <string>

#include "engine/runtime/runtime.h"
#include "engine/server/engine_service.h"
#include "engine/server/openai_params.h"
#include "engine/server/response_shape.h"

namespace hydra::engine {

struct EngineService::Job {
  GenerationRequest request;
  StreamSettings stream;
  std::unique_ptr<ResponseShape> shape;
  std::unique_ptr<RequestHandle> handle;  // dropping it cancels the request
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_token;  // for inter-token latency
  bool first_seen = false;
  std::string error;  // a choice that failed in the decode loop
};

}  // namespace hydra::engine
