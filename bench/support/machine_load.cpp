#include "machine_load.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "process.h"

namespace bench {
namespace {

double wall_seconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

double seconds_of(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

}  // namespace

MachineTimes machine_times() {
  // The first line of /proc/stat: "cpu user nice system idle iowait irq
  // softirq steal ...", in clock ticks summed over every core.
  std::ifstream in("/proc/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line);
  std::string label;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  fields >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  MachineTimes t;
  t.busy = (user + nice + system + irq + softirq) / tick;
  t.steal = steal / tick;
  return t;
}

LoadWatch::LoadWatch(std::vector<pid_t> fleet)
    : fleet_(std::move(fleet)),
      start_machine_(machine_times()),
      start_own_(own_seconds()),
      start_wall_(wall_seconds()) {}

double LoadWatch::own_seconds() const {
  double s = 0;
  for (pid_t p : fleet_) s += cpu_seconds(p);
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  return s + seconds_of(self.ru_utime) + seconds_of(self.ru_stime) + seconds_of(children.ru_utime) +
         seconds_of(children.ru_stime);
}

LoadWatch::Report LoadWatch::report() const {
  MachineTimes now = machine_times();
  double wall = std::max(1e-3, wall_seconds() - start_wall_);
  double others = (now.busy - start_machine_.busy) - (own_seconds() - start_own_);
  Report r;
  // Clock ticks are coarse: a small negative remainder is rounding.
  r.others = std::max(0.0, others / wall);
  r.steal = (now.steal - start_machine_.steal) / wall;
  return r;
}

}  // namespace bench
