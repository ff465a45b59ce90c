// Integration tests: the real chat-server binary on port 0, over real sockets.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <set>

#include "server_harness.hpp"

namespace waypost::chat::testing {
namespace {

using V = http::verb;

class ChatServer : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args = {}) {
    server_ = std::make_unique<ServerProcess>(dir_, std::move(args));
  }
  std::uint16_t port() const { return server_->port(); }

  HttpReply call(V method, const std::string& target, const Account& as,
                 const json::object& body = {}) {
    auto text = method == V::post ? json::serialize(body) : std::string();
    return http_call(port(), method, target, text, as.token);
  }

  std::int64_t create_group(const Account& owner, std::initializer_list<const Account*> members,
                            const std::string& access = "invite_only") {
    auto group = call(V::post, "/api/v1/groups", owner, {{"name", "team"}, {"access", access}});
    auto id = group.body.at("conversation").at("id").as_int64();
    for (const auto* member : members) {
      call(V::post, "/api/v1/groups/" + std::to_string(id) + "/members", owner,
           {{"username", member->name}});
    }
    return id;
  }

  json::array history(const Account& reader, std::int64_t conversation,
                      const std::string& query = "limit=500") {
    auto reply =
        call(V::get, "/api/v1/conversations/" + std::to_string(conversation) + "/messages?" + query,
             reader);
    return reply.body.at("messages").as_array();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

// The value of an unlabelled metric on /metrics, or -1 when absent.
double metric(std::uint16_t port, const std::string& name) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request{V::get, "/metrics", 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);

  const auto& text = response.body();
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) {
    return -1;
  }
  return std::stod(text.substr(at + name.size() + 2));
}

json::object send_frame(const std::string& client_id, const std::string& text,
                        std::optional<std::int64_t> conversation, const std::string& to = "") {
  json::object frame{{"type", "send"}, {"client_message_id", client_id}, {"text", text}};
  if (conversation) {
    frame["conversation_id"] = *conversation;
  } else {
    frame["to_username"] = to;
  }
  return frame;
}

// --- REST and authentication ----------------------------------------------

TEST_F(ChatServer, RegisterLoginMeAndLogoutFollowTheTokenLifecycle) {
  start();
  auto credentials = json::serialize(json::object{{"username", "Alice"}, {"password", "pw-12345"}});
  auto created = http_call(port(), V::post, "/api/v1/register", credentials);
  EXPECT_EQ(created.status, 201u);
  EXPECT_EQ(created.body.at("user").at("username"), "alice");
  EXPECT_EQ(http_call(port(), V::post, "/api/v1/register", credentials).status, 409u);

  auto wrong = json::serialize(json::object{{"username", "alice"}, {"password", "nope-nope"}});
  auto refused = http_call(port(), V::post, "/api/v1/login", wrong);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(refused.body.at("error").at("code"), "wrong_credentials");

  auto login = http_call(port(), V::post, "/api/v1/login", credentials);
  ASSERT_EQ(login.status, 200u);
  std::string token(login.body.at("token").as_string());
  EXPECT_TRUE(login.body.at("expires_at").is_int64());

  EXPECT_EQ(http_call(port(), V::get, "/api/v1/me", "", token).status, 200u);
  EXPECT_EQ(http_call(port(), V::get, "/api/v1/me").status, 401u);
  EXPECT_EQ(http_call(port(), V::get, "/api/v1/me", "", "not-a-token").status, 401u);

  EXPECT_EQ(http_call(port(), V::post, "/api/v1/logout", "", token).status, 204u);
  auto revoked = http_call(port(), V::get, "/api/v1/me", "", token);
  EXPECT_EQ(revoked.status, 401u);
  EXPECT_EQ(revoked.body.at("error").at("code"), "unauthorized");
}

TEST_F(ChatServer, ConversationsOfOthersAnswer403) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto mallory = register_and_login(port(), "mallory");
  auto group = create_group(alice, {});
  auto base = "/api/v1/conversations/" + std::to_string(group);

  EXPECT_EQ(call(V::get, base + "/members", mallory).status, 403u);
  EXPECT_EQ(call(V::get, base + "/messages", mallory).status, 403u);
  EXPECT_EQ(call(V::post, base + "/read", mallory, {{"seq", 1}}).status, 403u);
  EXPECT_EQ(call(V::post, "/api/v1/groups/" + std::to_string(group) + "/join", mallory).status,
            403u);
  EXPECT_EQ(call(V::get, base + "/members", alice).status, 200u);
}

TEST_F(ChatServer, GroupsCanBeJoinedLeftAndListedWithUnreadCounts) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto group = create_group(alice, {}, "open");
  auto id = std::to_string(group);

  EXPECT_EQ(call(V::post, "/api/v1/groups/" + id + "/join", bob).status, 204u);
  WsClient sender(port(), alice.token);
  sender.send(send_frame("m1", "hello team", group));
  ASSERT_TRUE(sender.next_of("ack"));

  auto list = call(V::get, "/api/v1/conversations", bob).body.at("conversations").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("unread_count"), 1);
  EXPECT_EQ(list[0].at("last_message").at("text"), "hello team");

  auto members = call(V::get, "/api/v1/conversations/" + id + "/members", bob);
  EXPECT_EQ(members.body.at("members").as_array().size(), 2u);
  EXPECT_EQ(call(V::post, "/api/v1/conversations/" + id + "/read", bob, {{"seq", 1}})
                .body.at("unread_count"),
            0);
  EXPECT_EQ(call(V::post, "/api/v1/groups/" + id + "/leave", bob).status, 204u);
  EXPECT_EQ(call(V::get, "/api/v1/conversations/" + id + "/members", bob).status, 403u);
}

TEST_F(ChatServer, WebSocketUpgradeWithoutValidTokenIs401) {
  start();
  asio::io_context io;
  websocket::stream<tcp::socket> ws(io);
  ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()));
  websocket::response_type response;
  beast::error_code ec;
  ws.handshake(response, "127.0.0.1", "/ws?token=bogus", ec);
  EXPECT_TRUE(ec);
  EXPECT_EQ(response.result_int(), 401u);
}

TEST_F(ChatServer, WebSocketUpgradeAcceptsTheTokenAsAQueryParameter) {
  start();
  auto alice = register_and_login(port(), "alice");
  register_and_login(port(), "bob");
  WsClient browser(port(), "", "/ws?token=" + alice.token);

  browser.send(send_frame("q-1", "from a browser", std::nullopt, "bob"));
  auto ack = browser.next_of("ack");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->at("client_message_id"), "q-1");
  EXPECT_NO_THROW(browser.round_trip());
}

TEST_F(ChatServer, WebSocketUpgradeWithMalformedCursorIs400) {
  start();
  auto alice = register_and_login(port(), "alice");
  for (std::string cursor : {"-1", "abc", ""}) {
    asio::io_context io;
    websocket::stream<tcp::socket> ws(io);
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()));
    websocket::response_type response;
    beast::error_code ec;
    ws.handshake(response, "127.0.0.1", "/ws?token=" + alice.token + "&cursor=" + cursor, ec);
    EXPECT_TRUE(ec) << cursor;
    EXPECT_EQ(response.result_int(), 400u) << cursor;
  }
}

TEST_F(ChatServer, HealthReadinessAndMetricsAnswer) {
  start();
  EXPECT_EQ(http_call(port(), V::get, "/healthz").status, 200u);
  EXPECT_EQ(http_call(port(), V::get, "/readyz").status, 200u);
  EXPECT_EQ(http_call(port(), V::get, "/metrics").status, 200u);
}

// --- Messages ----------------------------------------------------------------

TEST_F(ChatServer, PrivateMessageReachesEveryOtherDeviceOfBothUsers) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  WsClient alice_phone(port(), alice.token);
  WsClient alice_laptop(port(), alice.token);
  WsClient bob_phone(port(), bob.token);
  WsClient bob_laptop(port(), bob.token);

  alice_phone.send(send_frame("c-1", "hi bob", std::nullopt, "bob"));
  auto ack = alice_phone.next_of("ack");
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->at("client_message_id"), "c-1");
  EXPECT_EQ(ack->at("seq"), 1);

  for (auto* device : {&alice_laptop, &bob_phone, &bob_laptop}) {
    auto message = device->next_of("message");
    ASSERT_TRUE(message);
    EXPECT_EQ(message->at("text"), "hi bob");
    EXPECT_EQ(message->at("sender"), "alice");
    EXPECT_EQ(message->at("message_id"), ack->at("message_id"));
    EXPECT_EQ(message->at("conversation_id"), ack->at("conversation_id"));
  }
  for (const auto& frame : alice_phone.round_trip()) {
    EXPECT_NE(frame.at("type"), "message") << "the sending device gets an ack, not a copy";
  }
}

TEST_F(ChatServer, AckMeansTheMessageIsInHistory) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  WsClient client(port(), alice.token);

  client.send(send_frame("stored-1", "durable", std::nullopt, "bob"));
  auto ack = client.next_of("ack");
  ASSERT_TRUE(ack);

  auto messages = history(bob, ack->at("conversation_id").as_int64());
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].at("message_id"), ack->at("message_id"));
  EXPECT_EQ(messages[0].at("seq"), ack->at("seq"));
  EXPECT_EQ(messages[0].at("sent_at"), ack->at("sent_at"));
}

TEST_F(ChatServer, RepeatedClientMessageIdReturnsTheOriginalAckAndStoresOnce) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  WsClient receiver(port(), bob.token);
  json::object first_ack;
  {
    WsClient client(port(), alice.token);
    client.send(send_frame("same-id", "once", std::nullopt, "bob"));
    first_ack = *client.next_of("ack");
  }

  WsClient retry(port(), alice.token);
  retry.send(send_frame("same-id", "once again", std::nullopt, "bob"));
  auto again = retry.next_of("ack");
  ASSERT_TRUE(again);
  for (auto field : {"message_id", "conversation_id", "seq", "sent_at"}) {
    EXPECT_EQ(again->at(field), first_ack.at(field)) << field;
  }
  EXPECT_EQ(again->at("duplicate"), true);

  retry.send(send_frame("next-id", "after", std::nullopt, "bob"));
  ASSERT_TRUE(retry.next_of("ack"));
  auto first = receiver.next_of("message");
  auto second = receiver.next_of("message");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->at("text"), "once");
  EXPECT_EQ(second->at("text"), "after") << "the retry was not delivered again";
  EXPECT_EQ(history(bob, first_ack.at("conversation_id").as_int64()).size(), 2u);
}

TEST_F(ChatServer, GroupMessageFansOutToEveryMember) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto carol = register_and_login(port(), "carol");
  auto group = create_group(alice, {&bob, &carol});
  WsClient a(port(), alice.token);
  WsClient b(port(), bob.token);
  WsClient c(port(), carol.token);

  a.send(send_frame("g-1", "hello all", group));
  ASSERT_TRUE(a.next_of("ack"));
  for (auto* member : {&b, &c}) {
    auto message = member->next_of("message");
    ASSERT_TRUE(message);
    EXPECT_EQ(message->at("conversation_id"), group);
    EXPECT_EQ(message->at("text"), "hello all");
  }
}

TEST_F(ChatServer, ConcurrentSendersGetGapFreeSequenceNumbers) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto group = create_group(alice, {&bob});
  WsClient a(port(), alice.token);
  WsClient b(port(), bob.token);
  constexpr int kEach = 20;

  for (int i = 0; i < kEach; ++i) {
    a.send(send_frame("a-" + std::to_string(i), "from a " + std::to_string(i), group));
    b.send(send_frame("b-" + std::to_string(i), "from b " + std::to_string(i), group));
  }
  std::vector<std::int64_t> a_seqs;
  for (int i = 0; i < kEach; ++i) {
    auto ack = a.next_of("ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->at("client_message_id").as_string(), "a-" + std::to_string(i))
        << "acks in send order";
    a_seqs.push_back(ack->at("seq").as_int64());
  }
  EXPECT_TRUE(std::is_sorted(a_seqs.begin(), a_seqs.end()));
  for (int i = 0; i < kEach; ++i) {
    ASSERT_TRUE(b.next_of("ack"));
  }

  auto messages = history(alice, group);
  ASSERT_EQ(messages.size(), 2u * kEach);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].at("seq").as_int64(), static_cast<std::int64_t>(i + 1));
  }
}

TEST_F(ChatServer, TypingAndReadReceiptsReachTheOtherMembersAndDevices) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto group = create_group(alice, {&bob});
  WsClient alice_phone(port(), alice.token);
  WsClient alice_laptop(port(), alice.token);
  WsClient bob_phone(port(), bob.token);

  alice_phone.send({{"type", "typing"}, {"conversation_id", group}});
  auto typing = bob_phone.next_of("typing");
  ASSERT_TRUE(typing);
  EXPECT_EQ(typing->at("user"), "alice");

  bob_phone.send(send_frame("t-1", "hi", group));
  ASSERT_TRUE(bob_phone.next_of("ack"));
  alice_phone.send({{"type", "read"}, {"conversation_id", group}, {"seq", 1}});
  for (auto* device : {&alice_laptop, &bob_phone}) {
    auto receipt = device->next_of("read");
    ASSERT_TRUE(receipt);
    EXPECT_EQ(receipt->at("user"), "alice");
    EXPECT_EQ(receipt->at("seq"), 1);
  }
}

// --- Reconnect sync -------------------------------------------------------------

TEST_F(ChatServer, SyncAfterReconnectReturnsExactlyTheMissedMessages) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto carol = register_and_login(port(), "carol");
  auto group = create_group(alice, {&bob, &carol});
  WsClient sender(port(), alice.token);
  std::int64_t cursor = 0;
  {
    WsClient bob_first(port(), bob.token);
    sender.send(send_frame("s-1", "seen", group));
    ASSERT_TRUE(sender.next_of("ack"));
    auto seen = bob_first.next_of("message");
    ASSERT_TRUE(seen);
    cursor = seen->at("message_id").as_int64();
  }
  for (auto id : {"s-2", "s-3"}) {
    sender.send(send_frame(id, std::string("missed ") + id, group));
    ASSERT_TRUE(sender.next_of("ack"));
  }

  WsClient bob_again(port(), bob.token);
  bob_again.send({{"type", "sync"}, {"cursor", cursor}});
  std::vector<std::string> replayed;
  std::optional<json::object> done;
  while (auto frame = bob_again.next()) {
    if (frame->at("type") == "message") {
      replayed.emplace_back(frame->at("client_message_id").as_string());
    } else if (frame->at("type") == "sync_done") {
      done = frame;
      break;
    }
  }
  EXPECT_EQ(replayed, (std::vector<std::string>{"s-2", "s-3"}));
  ASSERT_TRUE(done);

  WsClient carol_new(port(), carol.token);
  carol_new.send({{"type", "sync"}, {"cursor", 0}});
  replayed.clear();
  while (auto frame = carol_new.next()) {
    if (frame->at("type") == "message") {
      replayed.emplace_back(frame->at("client_message_id").as_string());
    } else if (frame->at("type") == "sync_done") {
      break;
    }
  }
  EXPECT_EQ(replayed, (std::vector<std::string>{"s-1", "s-2", "s-3"}));
}

// Sends messages to a group from its own thread, a few ahead of their acks,
// until stopped (or `limit` are sent); records the acked ids in commit order.
class BackgroundSender {
 public:
  BackgroundSender(std::uint16_t port, const Account& from, std::int64_t group, int limit)
      : thread_(
            [this, port, token = from.token, group, limit] { run(port, token, group, limit); }) {}
  ~BackgroundSender() { finish(); }

  int acked() const { return acked_count_; }

  // Stops sending, waits for the outstanding acks and returns every acked id.
  std::vector<std::int64_t> finish() {
    stop_ = true;
    if (thread_.joinable()) {
      thread_.join();
    }
    return acked_ids_;
  }

 private:
  void run(std::uint16_t port, const std::string& token, std::int64_t group, int limit) {
    constexpr int kWindow = 8;
    WsClient client(port, token);
    int sent = 0;
    while (true) {
      bool may_send = !stop_ && sent < limit;
      while (may_send && sent - acked_count_ < kWindow) {
        client.send(
            send_frame("bg-" + std::to_string(sent), "live " + std::to_string(sent), group));
        ++sent;
      }
      if (acked_count_ == sent) {
        if (!may_send) {
          return;
        }
        continue;
      }
      auto ack = client.next_of("ack");
      if (!ack) {
        return;  // the test then misses the unacknowledged ids
      }
      acked_ids_.push_back(ack->at("message_id").as_int64());
      acked_count_ = static_cast<int>(acked_ids_.size());
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<int> acked_count_{0};
  std::vector<std::int64_t> acked_ids_;  // written by thread_ only until it is joined
  std::thread thread_;
};

TEST_F(ChatServer, ReconnectWithCursorReplaysEveryMissedMessageOnceBeforeAnyLiveOne) {
  start({"--send-rate", "100000", "--send-burst", "100000"});
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto group = create_group(alice, {&bob});

  auto bob_first = std::make_unique<WsClient>(port(), bob.token);
  BackgroundSender sender(port(), alice, group, 5000);
  std::int64_t cursor = 0;
  for (int seen = 0; seen < 10; ++seen) {
    auto message = bob_first->next_of("message");
    ASSERT_TRUE(message);
    cursor = message->at("message_id").as_int64();
  }
  bob_first->close();
  bob_first.reset();
  int acked_at_disconnect = sender.acked();
  ASSERT_TRUE(poll_until([&] { return sender.acked() >= acked_at_disconnect + 50; }, 10s));

  // Reconnect while the sender keeps going; stop it once live delivery resumed.
  WsClient bob_again(port(), bob.token, "/ws?cursor=" + std::to_string(cursor));
  std::vector<std::int64_t> received;
  std::size_t replayed = 0;
  bool synced = false;
  while (!synced || received.size() < replayed + 20) {
    auto frame = bob_again.next();
    ASSERT_TRUE(frame) << "received " << received.size() << ", synced " << synced;
    if (frame->at("type") == "sync_done") {
      synced = true;
      replayed = received.size();
    } else if (frame->at("type") == "message") {
      received.push_back(frame->at("message_id").as_int64());
    }
  }
  auto acked = sender.finish();
  ASSERT_FALSE(acked.empty());
  while (received.back() < acked.back()) {
    auto message = bob_again.next_of("message");
    ASSERT_TRUE(message) << "missing messages after " << received.back();
    received.push_back(message->at("message_id").as_int64());
  }

  std::vector<std::int64_t> missed;
  std::copy_if(acked.begin(), acked.end(), std::back_inserter(missed),
               [cursor](std::int64_t id) { return id > cursor; });
  EXPECT_GE(replayed, 50u) << "the replay covered the disconnected time";
  EXPECT_TRUE(std::is_sorted(acked.begin(), acked.end())) << "acks come in commit order";
  EXPECT_EQ(received, missed) << "each missed message exactly once, in server order";
}

TEST_F(ChatServer, EveryAckedMessageSurvivesKillNineExactlyOnce) {
  std::vector<std::string> unlimited{"--send-rate", "100000", "--send-burst", "100000"};
  start(unlimited);
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto group = create_group(alice, {&bob});
  constexpr int kMessages = 120;
  std::set<std::string> acked;
  {
    WsClient client(port(), alice.token);
    for (int i = 0; i < kMessages; ++i) {
      client.send(send_frame("k-" + std::to_string(i), "load " + std::to_string(i), group));
    }
    while (acked.size() < 40) {
      auto ack = client.next_of("ack");
      ASSERT_TRUE(ack);
      acked.emplace(ack->at("client_message_id").as_string());
    }
    server_->kill_hard();
  }

  server_->start();
  std::map<std::string, int> copies;
  auto messages = history(bob, group);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].at("seq").as_int64(), static_cast<std::int64_t>(i + 1));
    ++copies[std::string(messages[i].at("client_message_id").as_string())];
  }
  for (const auto& id : acked) {
    EXPECT_EQ(copies[id], 1) << id;
  }

  // Retrying everything stores each message once in total.
  WsClient retry(port(), alice.token);
  for (int i = 0; i < kMessages; ++i) {
    retry.send(send_frame("k-" + std::to_string(i), "load " + std::to_string(i), group));
  }
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(retry.next_of("ack"));
  }
  EXPECT_EQ(history(bob, group).size(), static_cast<std::size_t>(kMessages));
}

// --- Presence and heartbeats --------------------------------------------------------

bool is_presence(const json::object& frame, const std::string& user, bool online) {
  return frame.at("type") == "presence" && frame.at("user").as_string() == user &&
         frame.at("online") == online;
}

std::optional<json::object> next_presence(WsClient& client, const std::string& user, bool online,
                                          std::chrono::milliseconds timeout = kDeadline) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto frame = client.next_of("presence", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                deadline - std::chrono::steady_clock::now()));
    if (frame && is_presence(*frame, user, online)) {
      return frame;
    }
  }
  return std::nullopt;
}

// Runs `command` and returns what it printed on standard output.
std::string output_of(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  char chunk[256];
  while (pipe != nullptr && std::fgets(chunk, sizeof(chunk), pipe) != nullptr) {
    output += chunk;
  }
  if (pipe != nullptr) {
    ::pclose(pipe);
  }
  return output;
}

TEST_F(ChatServer, HistoryRemovedByRetentionIsReportedAsAGapNotSkippedSilently) {
  std::vector<std::string> unlimited{"--send-rate", "100000", "--send-burst", "100000"};
  start(unlimited);
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto group = create_group(alice, {&bob});
  {
    WsClient client(port(), alice.token);
    for (int i = 0; i < 5; ++i) {
      client.send(send_frame("old-" + std::to_string(i), "old " + std::to_string(i), group));
      ASSERT_TRUE(client.next_of("ack"));
    }
  }
  ASSERT_EQ(server_->stop(), 0);

  auto pruned = output_of(std::string(WAYPOST_BINARY_DIR "/apps/chat-server --database ") +
                          dir_.file("chat.db") + " --log-level warn prune --older-than-ms 0");
  EXPECT_EQ(pruned, "deleted 5 messages in 1 conversations\n");

  server_->start();
  WsClient reconnecting(port(), bob.token, "/ws?cursor=0");
  auto gap = reconnecting.next_of("gap");
  ASSERT_TRUE(gap);
  EXPECT_EQ(gap->at("conversation_id").as_int64(), group);
  EXPECT_EQ(gap->at("first_available_seq").as_int64(), 6);
  EXPECT_TRUE(reconnecting.next_of("sync_done"));

  auto page =
      call(V::get, "/api/v1/conversations/" + std::to_string(group) + "/messages?after=0", bob);
  EXPECT_EQ(page.body.at("gap"), true);
  EXPECT_TRUE(page.body.at("messages").as_array().empty());
}

TEST_F(ChatServer, UserStaysOnlineUntilTheLastDeviceCloses) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  create_group(alice, {&bob});
  WsClient watcher(port(), bob.token);

  auto phone = std::make_unique<WsClient>(port(), alice.token);
  ASSERT_TRUE(next_presence(watcher, "alice", true));
  auto laptop = std::make_unique<WsClient>(port(), alice.token);
  laptop->round_trip();

  phone->close();
  phone.reset();
  ASSERT_TRUE(
      poll_until([&] { return metric(port(), "chat_websocket_sessions") == 2; }, kDeadline));
  auto still = call(V::get, "/api/v1/presence?users=alice", bob).body.at("presence").as_array();
  ASSERT_EQ(still.size(), 1u);
  EXPECT_EQ(still[0].at("online"), true);
  for (const auto& frame : watcher.round_trip()) {
    EXPECT_FALSE(is_presence(frame, "alice", false)) << "one device is still connected";
  }

  laptop->close();
  laptop.reset();
  auto offline = next_presence(watcher, "alice", false);
  ASSERT_TRUE(offline);
  EXPECT_TRUE(offline->at("last_seen").is_int64());
}

TEST_F(ChatServer, PresenceIsOnlyReportedForContacts) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto stranger = register_and_login(port(), "stranger");
  WsClient online(port(), stranger.token);
  online.round_trip();
  auto reply = call(V::get, "/api/v1/presence?users=stranger", alice);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.body.at("presence").as_array().empty());
}

TEST_F(ChatServer, PresenceListsAUserOnceHoweverOftenAsked) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  create_group(alice, {&bob});
  auto reply = call(V::get, "/api/v1/presence?users=BOB,bob,Bob", alice);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.body.at("presence").as_array().size(), 1u);
}

TEST_F(ChatServer, ClientThatStopsAnsweringPingsIsDroppedAndShownOffline) {
  start({"--heartbeat-timeout-ms", "600"});
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  create_group(alice, {&bob});
  WsClient watcher(port(), bob.token);

  WsClient silent(port(), alice.token);  // never reads again, so never answers a ping
  ASSERT_TRUE(next_presence(watcher, "alice", true));
  EXPECT_TRUE(next_presence(watcher, "alice", false, 5s));
}

TEST_F(ChatServer, NobodyIsShownOnlineAfterARestart) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  create_group(alice, {&bob});
  {
    WsClient connected(port(), alice.token);
    connected.round_trip();
    auto before = call(V::get, "/api/v1/presence?users=alice", bob).body.at("presence").as_array();
    ASSERT_EQ(before.size(), 1u);
    ASSERT_EQ(before[0].at("online"), true);
    server_->kill_hard();  // no chance to mark anybody offline
  }

  server_->start();
  auto after = call(V::get, "/api/v1/presence?users=alice", bob).body.at("presence").as_array();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].at("online"), false);
}

TEST_F(ChatServer, LastSeenIsRefreshedPeriodicallyWhileConnected) {
  start({"--last-seen-interval-ms", "100"});
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  create_group(alice, {&bob});
  auto last_seen = [&] {
    auto presence = call(V::get, "/api/v1/presence?users=alice", bob).body.at("presence");
    return presence.at(0).at("last_seen").as_int64();
  };

  WsClient connected(port(), alice.token);
  connected.round_trip();  // the connect has recorded last_seen
  auto at_connect = last_seen();
  EXPECT_TRUE(poll_until([&] { return last_seen() > at_connect; }, 5s))
      << "last_seen moves on while alice stays connected";
}

// --- Offline notifications -------------------------------------------------------------

// An HTTP receiver on a thread that answers 500 to the first `failures`
// requests and 200 afterwards, recording each body.
class WebhookReceiver {
 public:
  explicit WebhookReceiver(int failures)
      : failures_(failures), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~WebhookReceiver() {
    stopping_ = true;
    boost::system::error_code ignored;
    // Wake the blocking accept with one last connection.
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/hook";
  }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mutex_);
    return bodies_;
  }

 private:
  void serve() {
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) {
        return;
      }
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      http::read(socket, buffer, request, ec);
      if (ec) {
        continue;
      }
      bool fail;
      {
        std::lock_guard lock(mutex_);
        bodies_.push_back(request.body());
        fail = static_cast<int>(bodies_.size()) <= failures_;
      }
      http::response<http::string_body> response{
          fail ? http::status::internal_server_error : http::status::ok, 11};
      response.body() = fail ? "try later" : "ok";
      response.prepare_payload();
      http::write(socket, response, ec);
    }
  }

  int failures_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::vector<std::string> bodies_;  // guarded by mutex_
  std::thread thread_;
};

TEST_F(ChatServer, WebhookNotificationArrivesOnTheThirdAttemptAfterTwoFailures) {
  WebhookReceiver receiver(2);
  start({"--webhook-url", receiver.url(), "--notify-backoff-ms", "100", "--notify-coalesce-ms", "0",
         "--notify-poll-ms", "50"});
  auto alice = register_and_login(port(), "alice");
  register_and_login(port(), "bob");  // offline throughout
  WsClient sender(port(), alice.token);

  sender.send(send_frame("n-1", "are you there?", std::nullopt, "bob"));
  ASSERT_TRUE(sender.next_of("ack"));
  ASSERT_TRUE(poll_until([&] { return receiver.bodies().size() >= 3; }, 10s));

  auto third = json::parse(receiver.bodies()[2]).as_object();
  EXPECT_EQ(third.at("recipient"), "bob");
  EXPECT_EQ(third.at("latest_seq"), 1);
  EXPECT_EQ(third.at("attempt"), 3);
  EXPECT_TRUE(
      poll_until([&] { return metric(port(), "chat_notifications_sent_total") == 1; }, kDeadline));
  EXPECT_EQ(metric(port(), "chat_notifications_failed_total"), 2);
}

TEST_F(ChatServer, NotificationIsDeadLetteredWhenEveryWebhookAttemptFails) {
  WebhookReceiver receiver(std::numeric_limits<int>::max());
  start({"--webhook-url", receiver.url(), "--notify-max-attempts", "2", "--notify-backoff-ms", "50",
         "--notify-coalesce-ms", "0", "--notify-poll-ms", "50"});
  auto alice = register_and_login(port(), "alice");
  register_and_login(port(), "bob");  // offline throughout
  WsClient sender(port(), alice.token);

  sender.send(send_frame("d-1", "anyone?", std::nullopt, "bob"));
  ASSERT_TRUE(sender.next_of("ack"));
  ASSERT_TRUE(poll_until(
      [&] { return metric(port(), "chat_notifications_dead_lettered_total") == 1; }, 10s));

  EXPECT_EQ(receiver.bodies().size(), 2u) << "no attempt after the last one";
  EXPECT_EQ(metric(port(), "chat_notifications_failed_total"), 1);
  EXPECT_EQ(metric(port(), "chat_notifications_sent_total"), 0);
  EXPECT_EQ(http_call(port(), V::get, "/healthz").status, 200u);
  EXPECT_NO_THROW(sender.round_trip());
}

// --- Bad input ----------------------------------------------------------------------

TEST_F(ChatServer, OversizedFrameClosesWith1009) {
  start({"--max-frame-bytes", "1024"});
  auto alice = register_and_login(port(), "alice");
  RawWsClient raw(port(), alice.token);
  raw.send_frame(std::string(4096, 'x'));
  EXPECT_EQ(raw.read_close_code(), 1009);
}

TEST_F(ChatServer, InvalidUtf8TextClosesWith1007) {
  start();
  auto alice = register_and_login(port(), "alice");
  RawWsClient raw(port(), alice.token);
  raw.send_frame(std::string("{\"type\":\"ping\",\"x\":\"\xff\xfe\"}"));
  EXPECT_EQ(raw.read_close_code(), 1007);
}

TEST_F(ChatServer, UnmaskedClientFrameClosesWith1002) {
  start();
  auto alice = register_and_login(port(), "alice");
  RawWsClient raw(port(), alice.token);
  raw.send_frame(R"({"type":"ping"})", {.masked = false});
  EXPECT_EQ(raw.read_close_code(), 1002);
}

TEST_F(ChatServer, ReservedBitsCloseWith1002) {
  start();
  auto alice = register_and_login(port(), "alice");
  RawWsClient raw(port(), alice.token);
  raw.send_frame(R"({"type":"ping"})", {.rsv = 2});
  EXPECT_EQ(raw.read_close_code(), 1002);
}

TEST_F(ChatServer, FragmentedPingClosesWith1002) {
  start();
  auto alice = register_and_login(port(), "alice");
  RawWsClient raw(port(), alice.token);
  raw.send_frame("abc", {.fin = false, .opcode = 0x9});
  EXPECT_EQ(raw.read_close_code(), 1002);
}

// Sends one raw frame that breaks the protocol from alice's connection and
// expects it closed with 1002 while bob's connection keeps working.
void expect_violation_closes_only_its_connection(std::uint16_t port, const std::string& payload,
                                                 FrameBits bits) {
  auto alice = register_and_login(port, "alice");
  auto bob = register_and_login(port, "bob");
  WsClient bystander(port, bob.token);
  bystander.round_trip();

  RawWsClient raw(port, alice.token);
  raw.send_frame(payload, bits);
  EXPECT_EQ(raw.read_close_code(), 1002);
  EXPECT_NO_THROW(bystander.round_trip());
  EXPECT_FALSE(bystander.closed());
}

std::string close_payload(int code) {
  return {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
}

TEST_F(ChatServer, OversizedPingClosesWith1002) {
  start();
  expect_violation_closes_only_its_connection(port(), std::string(126, 'p'), {.opcode = 0x9});
}

TEST_F(ChatServer, CloseFrameWithCode1005ClosesWith1002) {
  start();
  expect_violation_closes_only_its_connection(port(), close_payload(1005), {.opcode = 0x8});
}

TEST_F(ChatServer, CloseFrameWithCode1006ClosesWith1002) {
  start();
  expect_violation_closes_only_its_connection(port(), close_payload(1006), {.opcode = 0x8});
}

TEST_F(ChatServer, UnknownOpcodeClosesWith1002) {
  start();
  expect_violation_closes_only_its_connection(port(), R"({"type":"ping"})", {.opcode = 0x3});
}

TEST_F(ChatServer, MalformedFramesGetErrorFramesAndTheConnectionStaysUsable) {
  start();
  auto alice = register_and_login(port(), "alice");
  WsClient client(port(), alice.token);
  client.round_trip();

  client.send_text("this is not json");
  EXPECT_EQ(client.next_of("error")->at("code"), "malformed_frame");
  client.send({{"type", "teleport"}});
  EXPECT_EQ(client.next_of("error")->at("code"), "unknown_type");
  client.send({{"type", "send"}, {"client_message_id", "x-1"}});
  auto missing = client.next_of("error");
  EXPECT_EQ(missing->at("code"), "missing_field");
  EXPECT_EQ(missing->at("client_message_id"), "x-1");
  client.send(send_frame("x-2", std::string(5000, 'a'), std::nullopt, "alice"));
  EXPECT_EQ(client.next_of("error")->at("code"), "text_too_long");
  client.send(send_frame("x-3", "hi", 999));
  EXPECT_EQ(client.next_of("error")->at("code"), "no_such_conversation");

  EXPECT_NO_THROW(client.round_trip());
  EXPECT_FALSE(client.closed());
}

TEST_F(ChatServer, SenderOverTheRateLimitGetsErrorFramesNotADisconnect) {
  start({"--send-rate", "0.5", "--send-burst", "3"});
  auto alice = register_and_login(port(), "alice");
  register_and_login(port(), "bob");
  WsClient client(port(), alice.token);

  for (int i = 0; i < 6; ++i) {
    client.send(send_frame("r-" + std::to_string(i), "spam", std::nullopt, "bob"));
  }
  int acks = 0;
  int limited = 0;
  while (acks + limited < 6) {
    auto frame = client.next();
    ASSERT_TRUE(frame);
    if (frame->at("type") == "ack") {
      ++acks;
    } else if (frame->at("type") == "error" && frame->at("code") == "rate_limited") {
      ++limited;
    }
  }
  EXPECT_NO_THROW(client.round_trip());
  EXPECT_EQ(limited, 3);
  EXPECT_FALSE(client.closed());
}

TEST_F(ChatServer, ShutdownClosesWebSocketsWith1001) {
  start();
  auto alice = register_and_login(port(), "alice");
  WsClient client(port(), alice.token);
  client.round_trip();

  int exit_status = -1;
  std::thread stopper([&] { exit_status = server_->stop(); });
  EXPECT_EQ(client.wait_closed(), 1001);
  stopper.join();
  EXPECT_EQ(exit_status, 0);
}

// --- Token lifetime of WebSocket sessions ------------------------------------------

TEST_F(ChatServer, LogoutClosesTheTokensOpenSessionsWith1008AndSparesOthers) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto credentials =
      json::serialize(json::object{{"username", "alice"}, {"password", "password-1"}});
  auto second_login = http_call(port(), V::post, "/api/v1/login", credentials);
  std::string other_token(second_login.body.at("token").as_string());
  WsClient revoked(port(), alice.token);
  WsClient alice_elsewhere(port(), other_token);
  WsClient bystander(port(), bob.token);
  revoked.round_trip();

  ASSERT_EQ(http_call(port(), V::post, "/api/v1/logout", "", alice.token).status, 204u);
  EXPECT_EQ(revoked.wait_closed(), 1008);
  EXPECT_NO_THROW(alice_elsewhere.round_trip());
  EXPECT_NO_THROW(bystander.round_trip());
}

TEST_F(ChatServer, SessionIsClosedWith1008OnceItsTokenExpires) {
  start({"--token-lifetime-ms", "1500"});
  auto alice = register_and_login(port(), "alice");
  WsClient client(port(), alice.token);

  EXPECT_NO_THROW(client.round_trip());

  // No frame is needed to trigger it: the session watches its token's expiry.
  EXPECT_EQ(client.wait_closed(10s), 1008);
  EXPECT_THROW((void)WsClient(port(), alice.token), std::exception) << "upgrade refused too";
}

// --- Notifications ------------------------------------------------------------------

TEST_F(ChatServer, NotificationsDeliveredOneAfterAnotherCarryDifferentIds) {
  WebhookReceiver receiver(0);
  start({"--webhook-url", receiver.url(), "--notify-coalesce-ms", "0", "--notify-poll-ms", "50"});
  auto alice = register_and_login(port(), "alice");
  register_and_login(port(), "bob");  // offline throughout
  WsClient sender(port(), alice.token);

  sender.send(send_frame("u-1", "first", std::nullopt, "bob"));
  ASSERT_TRUE(sender.next_of("ack"));
  ASSERT_TRUE(
      poll_until([&] { return metric(port(), "chat_notifications_sent_total") == 1; }, 10s));
  sender.send(send_frame("u-2", "second", std::nullopt, "bob"));
  ASSERT_TRUE(sender.next_of("ack"));
  ASSERT_TRUE(
      poll_until([&] { return metric(port(), "chat_notifications_sent_total") == 2; }, 10s));

  auto bodies = receiver.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  auto first = json::parse(bodies[0]).as_object();
  auto second = json::parse(bodies[1]).as_object();
  EXPECT_EQ(second.at("latest_seq"), 2);
  EXPECT_NE(first.at("notification_id"), second.at("notification_id"));
}

// --- Input validation ---------------------------------------------------------------

TEST_F(ChatServer, GroupWithUnknownAccessValueIs400) {
  start();
  auto alice = register_and_login(port(), "alice");
  for (json::value access : {json::value("public"), json::value("Open"), json::value(1)}) {
    auto reply = call(V::post, "/api/v1/groups", alice, {{"name", "team"}, {"access", access}});
    EXPECT_EQ(reply.status, 400u) << access;
    EXPECT_EQ(reply.body.at("error").at("code"), "invalid_field") << access;
  }
  auto plain = call(V::post, "/api/v1/groups", alice, {{"name", "team"}});
  ASSERT_EQ(plain.status, 201u);
  EXPECT_EQ(plain.body.at("conversation").at("access"), "invite_only");
}

TEST_F(ChatServer, SendWithBothConversationAndUsernameGetsAnErrorFrame) {
  start();
  auto alice = register_and_login(port(), "alice");
  register_and_login(port(), "bob");
  auto group = create_group(alice, {});
  WsClient client(port(), alice.token);

  auto frame = send_frame("both-1", "where to?", group);
  frame["to_username"] = "bob";
  client.send(frame);
  auto error = client.next_of("error");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->at("code"), "invalid_field");
  EXPECT_EQ(error->at("client_message_id"), "both-1");
  EXPECT_NO_THROW(client.round_trip());
  EXPECT_TRUE(history(alice, group).empty());
}

TEST_F(ChatServer, RequestBodyThatIsNotLabelledJsonIs415) {
  start();
  auto alice = register_and_login(port(), "alice");
  for (std::string type : {"text/plain", "", "application/jsonx"}) {
    http::request<http::string_body> request{V::post, "/api/v1/groups", 11};
    request.set(http::field::authorization, "Bearer " + alice.token);
    if (!type.empty()) {
      request.set(http::field::content_type, type);
    }
    request.body() = R"({"name":"team"})";
    auto response = send_raw(port(), request);
    EXPECT_EQ(response.result_int(), 415u) << type;
    EXPECT_EQ(error_code_of(response.body()), "unsupported_media_type") << type;
  }

  http::request<http::string_body> labelled{V::post, "/api/v1/groups", 11};
  labelled.set(http::field::authorization, "Bearer " + alice.token);
  labelled.set(http::field::content_type, "Application/JSON; charset=utf-8");
  labelled.body() = R"({"name":"team"})";
  EXPECT_EQ(send_raw(port(), labelled).result_int(), 201u);
}

TEST_F(ChatServer, QueryTokenDoesNotAuthenticateRestEndpoints) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto reply = http_call(port(), V::get, "/api/v1/me?token=" + alice.token);
  EXPECT_EQ(reply.status, 401u);
  EXPECT_EQ(http_call(port(), V::post, "/api/v1/logout?token=" + alice.token).status, 401u);
  EXPECT_EQ(call(V::get, "/api/v1/me", alice).status, 200u) << "the token still works";
}

TEST_F(ChatServer, HistoryAnchorsThatAreNotPositiveIntegersAre400) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto group = std::to_string(create_group(alice, {}));
  for (std::string query : {"before=0", "before=-1", "after=-1", "before=abc", "after=1.5",
                            "before=", "before=1&after=1"}) {
    auto reply = call(V::get, "/api/v1/conversations/" + group + "/messages?" + query, alice);
    EXPECT_EQ(reply.status, 400u) << query;
    EXPECT_EQ(reply.body.at("error").at("code"), "invalid_query") << query;
  }
  EXPECT_EQ(call(V::get, "/api/v1/conversations/" + group + "/messages?after=0", alice).status,
            200u);
  EXPECT_EQ(call(V::get, "/api/v1/conversations/" + group + "/messages?before=5", alice).status,
            200u);
}

TEST_F(ChatServer, JoiningADirectConversationAsOutsiderLooksLikeAnInviteOnlyGroup) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto bob = register_and_login(port(), "bob");
  auto mallory = register_and_login(port(), "mallory");
  WsClient client(port(), alice.token);
  client.send(send_frame("d-1", "hi bob", std::nullopt, "bob"));
  auto ack = client.next_of("ack");
  ASSERT_TRUE(ack);
  auto direct = std::to_string(ack->at("conversation_id").as_int64());
  auto group = std::to_string(create_group(alice, {}));

  auto into_direct = call(V::post, "/api/v1/groups/" + direct + "/join", mallory);
  auto into_group = call(V::post, "/api/v1/groups/" + group + "/join", mallory);
  EXPECT_EQ(into_direct.status, 403u);
  EXPECT_EQ(into_direct.body.at("error").at("code"), "not_a_member");
  EXPECT_EQ(into_group.status, into_direct.status);
  EXPECT_EQ(into_group.body, into_direct.body);
  EXPECT_EQ(call(V::post, "/api/v1/groups/" + direct + "/leave", mallory).body, into_direct.body);
  EXPECT_EQ(call(V::post, "/api/v1/groups/" + direct + "/join", bob).body.at("error").at("code"),
            "not_a_group")
      << "members know the kind already";
}

// --- WebSocket handshake ------------------------------------------------------------

TEST_F(ChatServer, PlainGetOfWsIs426WithUpgradeHeader) {
  start();
  http::request<http::string_body> request{V::get, "/ws", 11};
  auto response = send_raw(port(), request);
  EXPECT_EQ(response.result_int(), 426u);
  EXPECT_EQ(response[http::field::upgrade], "websocket");
  EXPECT_EQ(error_code_of(response.body()), "upgrade_required");
}

http::request<http::string_body> upgrade_request(const std::string& token) {
  http::request<http::string_body> request{V::get, "/ws", 11};
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::authorization, "Bearer " + token);
  request.set(http::field::sec_websocket_version, "13");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  return request;
}

TEST_F(ChatServer, UpgradeWithUnsupportedVersionIs426InTheJsonErrorShape) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto request = upgrade_request(alice.token);
  request.set(http::field::sec_websocket_version, "8");
  auto response = send_raw(port(), request);
  EXPECT_EQ(response.result_int(), 426u);
  EXPECT_EQ(response[http::field::sec_websocket_version], "13");
  EXPECT_EQ(error_code_of(response.body()), "unsupported_websocket_version");
}

TEST_F(ChatServer, UpgradeWithoutKeyIs400InTheJsonErrorShape) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto request = upgrade_request(alice.token);
  request.erase(http::field::sec_websocket_key);
  auto response = send_raw(port(), request);
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_EQ(error_code_of(response.body()), "bad_handshake");
}

TEST_F(ChatServer, HandshakeAnswerNamesTheServerNotTheLibrary) {
  start();
  auto alice = register_and_login(port(), "alice");
  auto response = send_raw(port(), upgrade_request(alice.token));
  EXPECT_EQ(response.result_int(), 101u);
  EXPECT_EQ(response[http::field::server], "waypost");
}

}  // namespace
}  // namespace waypost::chat::testing
