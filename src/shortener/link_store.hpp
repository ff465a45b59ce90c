// Where links live. The handlers see only this interface, so another database
// (PostgreSQL) is a new implementation, not a change to them.
//
// Calls block on I/O: make them from storage threads (core::BlockingPool),
// never from an I/O thread. Implementations are safe to call from several
// threads at once. Unexpected storage failures throw.
#pragma once

#include <optional>
#include <string_view>

#include "shortener/link.hpp"

namespace waypost::shortener {

enum class InsertOutcome {
  kInserted,   // durably stored: it survives a crash from here on
  kCodeTaken,  // another link has this code; nothing was written
};

class LinkStore {
 public:
  virtual ~LinkStore() = default;

  // Stores a new link. Uniqueness of the code is decided by the store itself,
  // so it holds across every server process sharing the database.
  [[nodiscard]] virtual InsertOutcome insert(const Link& link) = 0;

  // The link with exactly this code (case-sensitive), expired or not.
  [[nodiscard]] virtual std::optional<Link> find(std::string_view code) = 0;

  // Throws when the database cannot answer a trivial query; for /readyz.
  virtual void check_ready() = 0;
};

}  // namespace waypost::shortener
