#include "support/server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace waypost::testing {
namespace {

using std::chrono::steady_clock;

std::filesystem::path unique_temp_path() {
  std::random_device random;
  auto name = "waypost-test-" + std::to_string(::getpid()) + "-" + std::to_string(random());
  return std::filesystem::temp_directory_path() / name;
}

// Waits for `pid` to exit until `deadline`; returns its status or nullopt.
std::optional<int> wait_until(pid_t pid, steady_clock::time_point deadline) {
  while (true) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

TempDir::TempDir() : path_(unique_temp_path()) {
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ServerProcess::ServerProcess(std::string binary, std::vector<std::string> arguments)
    : log_path_(scratch_.path() / "server.log") {
  auto port_file = scratch_.path() / "port";
  arguments.insert(arguments.end(), {"--port", "0", "--port-file", port_file.string()});

  std::vector<char*> argv;
  argv.push_back(binary.data());
  for (auto& argument : arguments) {
    argv.push_back(argument.data());
  }
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(log, STDERR_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }

  // Poll for the port file, which the server writes once it accepts connections.
  auto deadline = steady_clock::now() + std::chrono::seconds(20);
  while (steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    unsigned port = 0;
    if (in >> port && port != 0) {
      port_ = static_cast<std::uint16_t>(port);
      return;
    }
    if (auto status = wait_until(pid_, steady_clock::now())) {
      pid_ = -1;
      throw std::runtime_error("server exited with status " + std::to_string(*status) +
                               " before listening:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill_hard();
  throw std::runtime_error("server did not listen within 20 s:\n" + log());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    terminate();
  }
}

int ServerProcess::terminate(std::chrono::milliseconds limit) {
  send_terminate();
  return wait_for_exit(limit);
}

void ServerProcess::send_terminate() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
  }
}

void ServerProcess::send_signal(int signal_number) {
  if (pid_ > 0) {
    ::kill(pid_, signal_number);
  }
}

int ServerProcess::wait_for_exit(std::chrono::milliseconds limit) {
  if (pid_ <= 0) {
    return -1;
  }
  auto status = wait_until(pid_, steady_clock::now() + limit);
  if (!status) {
    kill_hard();
    return -1;
  }
  pid_ = -1;
  return *status;
}

void ServerProcess::kill_hard() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace waypost::testing
