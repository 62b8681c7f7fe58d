#pragma once
// How busy the machine was while a benchmark measured, apart from the
// processes it measured: on a small machine another process, or a
// hypervisor that steals time, moves the figures more than the change
// being measured.
#include <sys/types.h>

#include <vector>

namespace bench {

// CPU time of the whole machine, all cores, in seconds.
struct MachineTimes {
  double busy = 0;   // user, nice, system, irq and softirq
  double steal = 0;  // taken by the hypervisor for other machines
};

MachineTimes machine_times();

// Watches one stretch of a benchmark. `fleet` are the processes it started
// (children of theirs count with them); the benchmark itself and the
// children it has reaped (wrk) count as its own.
class LoadWatch {
 public:
  explicit LoadWatch(std::vector<pid_t> fleet);
  // Cores' worth of CPU (1.0 = one core busy throughout) since construction.
  struct Report {
    double others = 0;  // processes outside the benchmark
    double steal = 0;   // the hypervisor
  };
  Report report() const;

 private:
  double own_seconds() const;  // fleet, this process and its reaped children

  std::vector<pid_t> fleet_;
  MachineTimes start_machine_;
  double start_own_ = 0;
  double start_wall_ = 0;
};

}  // namespace bench
