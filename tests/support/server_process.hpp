// Runs a real server binary for an integration test: started on port 0 with a
// port file, so tests never collide on ports, and stopped at the end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace waypost::testing {

// A scratch directory removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class ServerProcess {
 public:
  // Starts `binary` with `arguments` plus `--port 0 --port-file ...` and waits
  // (up to 20 s) until it is listening. Throws std::runtime_error if it exits
  // or does not listen in time. Its standard error goes to `log_path()`.
  ServerProcess(std::string binary, std::vector<std::string> arguments);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& log_path() const { return log_path_; }

  // Sends SIGTERM and waits up to `limit`; returns the exit status, or -1 when
  // the process did not exit in time (it is then killed).
  int terminate(std::chrono::milliseconds limit = std::chrono::seconds(15));

  // Sends SIGTERM and returns at once; wait_for_exit() collects the status.
  void send_terminate();

  // Sends `signal_number` (SIGHUP, say) to the running process.
  void send_signal(int signal_number);

  // Waits up to `limit` for the process to exit; its status, or -1 after
  // killing it when it did not exit in time.
  int wait_for_exit(std::chrono::milliseconds limit = std::chrono::seconds(15));

  // Sends SIGKILL and reaps the process: a crash at an arbitrary point.
  void kill_hard();

  // Contents of the server's log so far, for failure messages.
  std::string log() const;

 private:
  TempDir scratch_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace waypost::testing
