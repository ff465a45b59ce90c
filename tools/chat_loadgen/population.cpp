#include "population.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "latch.hpp"
#include "rest_client.hpp"

namespace loadgen {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::vector<std::string> read_users_file(const std::string& path, int wanted) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot read users file " + path);
  }
  std::vector<std::string> names;
  std::string line;
  while (static_cast<int>(names.size()) < wanted && std::getline(in, line)) {
    if (!line.empty()) {
      names.push_back(line);
    }
  }
  if (static_cast<int>(names.size()) < wanted) {
    throw std::runtime_error(path + " names fewer than --users users");
  }
  return names;
}

std::vector<std::string> generated_names(const std::string& prefix, int count) {
  std::vector<std::string> names;
  names.reserve(count);
  for (int i = 0; i < count; ++i) {
    names.push_back(prefix + std::to_string(i));
  }
  return names;
}

void plan_groups(const Options& options, Population& population) {
  int users = options.users;
  int size = std::min(options.group_size, users);
  population.members.resize(options.groups);
  population.user_groups.resize(users);
  for (int group = 0; group < options.groups; ++group) {
    for (int k = 0; k < size; ++k) {
      int user = (group * size + k) % users;
      population.members[group].push_back(user);
      population.user_groups[user].push_back(group);
    }
    population.group_rooms.push_back("g" + std::to_string(group));
  }
}

// Peers at distance 1 .. contacts/2 on both sides, so that A's contacts include B exactly
// when B's include A and each pair shares one direct conversation.
void plan_contacts(const Options& options, Population& population) {
  int users = options.users;
  int reach = std::max(1, options.contacts / 2);
  population.contacts.resize(users);
  for (int user = 0; user < users; ++user) {
    auto& peers = population.contacts[user];
    for (int distance = 1; distance <= reach; ++distance) {
      for (int peer : {(user + distance) % users, (user - distance + users) % users}) {
        if (peer != user && std::find(peers.begin(), peers.end(), peer) == peers.end()) {
          peers.push_back(peer);
        }
      }
    }
  }
}

std::string error_code_of(const RestResult& result) {
  if (result.status == 0) {
    return result.failure;
  }
  const auto* error =
      result.body.is_object() ? result.body.as_object().if_contains("error") : nullptr;
  auto code = error && error->is_object() ? error->as_object().if_contains("code") : nullptr;
  auto text = code && code->is_string() ? std::string(code->get_string()) : std::string("?");
  return "HTTP " + std::to_string(result.status) + " " + text;
}

// What one setup worker shares with the others.
struct SetupJob {
  const Options& options;
  const std::string& run_tag;
  Population& population;
  std::string failure;  // the first failure seen by any worker
};

asio::awaitable<void> set_up_account(SetupJob& job, RestClient& client, int user) {
  auto& name = job.population.users[user];
  json::object credentials{{"username", name}, {"password", job.options.password}};
  auto body = json::serialize(credentials);
  static const std::string no_token;
  static const std::string register_path = "/api/v1/register";
  static const std::string login_path = "/api/v1/login";
  if (!job.options.skip_register) {
    auto created = co_await client.call(http::verb::post, register_path, body, no_token);
    if (created.status != 201) {
      job.failure = "register " + name + ": " + error_code_of(created);
      co_return;
    }
  }
  auto login = co_await client.call(http::verb::post, login_path, body, no_token);
  const auto* token =
      login.body.is_object() ? login.body.as_object().if_contains("token") : nullptr;
  if (login.status != 200 || token == nullptr || !token->is_string()) {
    job.failure = "login " + name + ": " + error_code_of(login);
    co_return;
  }
  job.population.tokens[user] = std::string(token->get_string());
}

asio::awaitable<void> set_up_group(SetupJob& job, RestClient& client, int group) {
  auto& members = job.population.members[group];
  auto& creator_token = job.population.tokens[members.front()];
  json::object spec{{"name", "lg-" + job.run_tag + "-g" + std::to_string(group)},
                    {"access", "invite_only"}};
  auto body = json::serialize(spec);
  static const std::string groups_path = "/api/v1/groups";
  auto created = co_await client.call(http::verb::post, groups_path, body, creator_token);
  const json::value* id = nullptr;
  if (created.status == 201 && created.body.is_object()) {
    if (auto* conversation = created.body.as_object().if_contains("conversation")) {
      id = conversation->is_object() ? conversation->as_object().if_contains("id") : nullptr;
    }
  }
  if (id == nullptr || !id->is_int64()) {
    job.failure = "create group " + std::to_string(group) + ": " + error_code_of(created);
    co_return;
  }
  job.population.conversation_ids[group] = id->get_int64();

  auto members_path = groups_path + "/" + std::to_string(id->get_int64()) + "/members";
  for (std::size_t k = 1; k < members.size(); ++k) {
    json::object invite{{"username", job.population.users[members[k]]}};
    auto invite_body = json::serialize(invite);
    auto added = co_await client.call(http::verb::post, members_path, invite_body, creator_token);
    if (added.status != 200) {
      job.failure = "add member to group " + std::to_string(group) + ": " + error_code_of(added);
      co_return;
    }
  }
}

// Worker `worker` of `workers`: handles every workers-th user (phase 0) or group (phase 1).
asio::awaitable<void> setup_worker(SetupJob& job, asio::ip::tcp::endpoint server, int worker,
                                   int workers, int phase, Latch& done) {
  auto executor = co_await asio::this_coro::executor;
  RestClient client(executor, server);
  int count = phase == 0 ? job.options.users : job.options.groups;
  for (int item = worker; item < count && job.failure.empty(); item += workers) {
    if (phase == 0) {
      co_await set_up_account(job, client, item);
    } else {
      co_await set_up_group(job, client, item);
    }
  }
  done.count_down();
}

}  // namespace

Population plan_population(const Options& options, const std::string& run_tag) {
  Population population;
  auto prefix = options.user_prefix.empty() ? "lg" + run_tag + "u" : options.user_prefix;
  population.users = options.users_file.empty()
                         ? generated_names(prefix, options.users)
                         : read_users_file(options.users_file, options.users);
  population.tokens.resize(options.users);
  population.conversation_ids.resize(options.groups);
  plan_groups(options, population);
  plan_contacts(options, population);
  return population;
}

asio::awaitable<std::string> provision_waypost(const Options& options,
                                               asio::ip::tcp::endpoint server,
                                               const std::string& run_tag, Population& population) {
  auto executor = co_await asio::this_coro::executor;
  SetupJob job{options, run_tag, population, {}};
  int workers = std::max(1, options.setup_concurrency);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);

  // Accounts first: a group needs its members' tokens and accounts.
  for (int phase = 0; phase < 2 && job.failure.empty(); ++phase) {
    Latch done(executor, workers);
    for (int worker = 0; worker < workers; ++worker) {
      asio::co_spawn(executor, setup_worker(job, server, worker, workers, phase, done),
                     asio::detached);
    }
    if (!co_await done.wait(deadline)) {
      // The workers still hold `job`: the caller must stop the io_context, not go on.
      co_return "setup did not finish within 5 minutes";
    }
  }
  co_return job.failure;
}

}  // namespace loadgen
