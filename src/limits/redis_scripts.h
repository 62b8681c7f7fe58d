#pragma once
// The Lua scripts the Redis limiter runs. Both take one KEYS entry per
// counter and five ARGV entries per counter after a leading argument.
namespace hydra::limits {

// ARGV[1] = lease lifetime (ms); per counter: kind ("w" window, "c"
// concurrency), limit, window_ms, amount, lease id.
// Returns {1, 0, 0, now, used...} when every counter had room (and takes
// from all of them), {0, i, used_i, now} for the first counter i that had
// none (and takes from none).
inline constexpr const char* kAcquireScript = R"LUA(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local names, used = {}, {}
for i = 1, #KEYS do
  local a = 1 + (i - 1) * 5
  local limit, win, amount = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  if ARGV[a + 1] == 'c' then
    names[i] = KEYS[i]
    redis.call('ZREMRANGEBYSCORE', names[i], '-inf', now)
    used[i] = redis.call('ZCARD', names[i])
  else
    names[i] = KEYS[i] .. ':' .. (now - now % win)
    used[i] = tonumber(redis.call('GET', names[i]) or '0')
  end
  if used[i] + amount > limit then
    return {0, i, used[i], now}
  end
end
local out = {1, 0, 0, now}
for i = 1, #KEYS do
  local a = 1 + (i - 1) * 5
  local win, amount = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  if ARGV[a + 1] == 'c' then
    redis.call('ZADD', names[i], now + ttl, ARGV[a + 5])
    redis.call('PEXPIRE', names[i], ttl)
    out[#out + 1] = used[i] + 1
  else
    out[#out + 1] = redis.call('INCRBY', names[i], amount)
    redis.call('PEXPIRE', names[i], 2 * win + 1000)
  end
end
return out
)LUA";

// ARGV[1] unused; per counter: kind, window_ms, window_start, units to give
// back (negative: to add), lease id. Units go back to the window they were
// taken in; once it has passed only additions count, in the current window.
inline constexpr const char* kSettleScript = R"LUA(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  local a = 1 + (i - 1) * 5
  if ARGV[a + 1] == 'c' then
    redis.call('ZREM', KEYS[i], ARGV[a + 5])
  else
    local win, start, back = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
    local current = now - now % win
    if current == start then
      local name = KEYS[i] .. ':' .. start
      if redis.call('EXISTS', name) == 1 then
        if redis.call('DECRBY', name, back) < 0 then redis.call('SET', name, 0, 'KEEPTTL') end
      end
    elseif back < 0 then
      local name = KEYS[i] .. ':' .. current
      redis.call('INCRBY', name, -back)
      redis.call('PEXPIRE', name, 2 * win + 1000)
    end
  end
end
return 1
)LUA";

}  // namespace hydra::limits
