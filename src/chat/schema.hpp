// The chat service's SQLite schema as versioned migrations.
//
// Storage model, in brief:
//  - users / auth_tokens: accounts; a token is kept only as the hex SHA-256 of
//    its raw bytes, so a copy of the file does not leak usable tokens.
//  - conversations: one row per direct pair or group. `last_seq` is the seq of
//    the newest message ever appended (the counter new messages take from),
//    `first_seq` the oldest seq that retention kept, `pruned_through_id` the
//    largest message id retention deleted there (how reconnects detect gaps).
//  - members: who is in which conversation, and how far each has read.
//  - messages: keyed by (conversation_id, seq), with a server-wide AUTOINCREMENT
//    id used as the reconnect cursor and UNIQUE (sender_id, client_message_id)
//    deciding idempotent retries.
//  - notifications / notification_dead_letters: the durable push queue, one
//    coalesced row per (recipient, conversation).
// Times are INTEGER milliseconds since the Unix epoch.
#pragma once

#include <vector>

#include "core/migrations.hpp"
#include "core/sqlite.hpp"

namespace waypost::chat {

// The chat migrations, version 1 first; each has a working down step.
const std::vector<core::Migration>& chat_migrations();

// Brings the database behind `pool` to the latest chat schema and logs the
// version. Call once at start-up, before the stores are used. Throws what
// core::migrate_to() throws (DatabaseError, or runtime_error for a newer file).
void migrate_chat_schema(core::sqlite::ConnectionPool& pool);

}  // namespace waypost::chat
