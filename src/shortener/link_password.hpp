// Passwords of protected links, hashed with Argon2id (libsodium). Both calls
// take tens of milliseconds and 64 MiB on purpose: run them on storage
// threads, never on an I/O thread. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace waypost::shortener {

// The Argon2id string (salt and cost included) to store for `password`.
// Throws std::runtime_error when memory for hashing cannot be had.
std::string hash_link_password(std::string_view password);

// True when `password` matches `hash` from hash_link_password().
bool verify_link_password(const std::string& hash, std::string_view password);

}  // namespace waypost::shortener
