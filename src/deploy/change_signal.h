#pragma once
// A process-wide nudge: the API raises it after committing a deployment
// change so that the local agent reconciles at once instead of at its next
// tick (part of create-to-Running time).
#include <cstdint>
#include <functional>

namespace hydra::deploy {

// Wakes the agent and runs the listeners (on the caller's thread).
void notify_deployments_changed();
// Listeners run on every notification: the gateway rebuilds its routes so
// that a deleted deployment's access name answers 404 at once. Returns a
// handle for remove_change_listener.
int add_change_listener(std::function<void()> fn);
void remove_change_listener(int handle);
// Waits until notified or `timeout_ms` passed; true when notified.
bool wait_deployments_changed(int64_t timeout_ms);

}  // namespace hydra::deploy
