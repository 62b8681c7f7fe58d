// fake_upstream: an OpenAI-compatible server whose answers, speed and
// failures are set on the command line, and which reports exactly what it
// generated per request (GET /ledger). Used by the gateway's tests and
// benchmarks.
#include <cstdio>
#include <iostream>
#include <stdexcept>

#include "options.h"
#include "server.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << fake::usage_text();
    return 0;
  }
  try {
    return fake::serve(fake::parse_options(args));
  } catch (const std::invalid_argument& e) {
    std::cerr << "fake_upstream: " << e.what() << "\n" << fake::usage_text();
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fake_upstream: " << e.what() << "\n";
    return 1;
  }
}
