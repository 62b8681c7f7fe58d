#pragma once
// Where `hydra login` keeps the server URL and session token: the file
// $HYDRA_CREDENTIALS, else ~/.config/hydra/credentials.json, mode 0600.
#include <string>

namespace hydra::cli {

struct Credentials {
  std::string server;
  std::string token;
};

std::string credentials_path();
Credentials load_credentials();  // empty fields when there is none
void save_credentials(const Credentials& c);

}  // namespace hydra::cli
