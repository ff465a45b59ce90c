// Where links live. The handlers see only this interface, so another database
// (PostgreSQL) is a new implementation, not a change to them.
//
// Calls block on I/O: make them from storage threads (core::BlockingPool),
// never from an I/O thread. Implementations are safe to call from several
// threads at once. Unexpected storage failures throw.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shortener/link.hpp"

namespace waypost::shortener {

enum class InsertOutcome {
  kInserted,   // durably stored: it survives a crash from here on
  kCodeTaken,  // another link has (or had, before it was deleted) this code; nothing was written
};

// A page of one owner's links, newest first.
struct LinkListQuery {
  std::string owner;
  std::size_t limit = 50;
  // Continue after this link (the last one of the previous page); none for the first page.
  std::optional<std::pair<Timestamp, std::string>> after{};
  // Only links whose code or destination contains this text, ignoring ASCII case; empty for all.
  std::string text{};
};

class LinkStore {
 public:
  virtual ~LinkStore() = default;

  // Stores a new link. Uniqueness of the code is decided by the store itself,
  // so it holds across every server process sharing the database. The codes
  // of deleted links stay taken, so a shared short link never changes target.
  [[nodiscard]] virtual InsertOutcome insert(const Link& link) = 0;

  // Stores several new links in one transaction: outcome i belongs to link i,
  // and a taken code refuses only its own link.
  [[nodiscard]] virtual std::vector<InsertOutcome> insert_batch(const std::vector<Link>& links) = 0;

  // The link with exactly this code (case-sensitive), expired or not; none
  // when there is no such link or it was deleted.
  [[nodiscard]] virtual std::optional<Link> find(std::string_view code) = 0;

  // Links of `query.owner`, newest first, at most `query.limit`.
  [[nodiscard]] virtual std::vector<Link> list(const LinkListQuery& query) = 0;

  // Replaces the destination, expiry, redirect status, visit limit, password
  // and updated_at of the link with `link.code` if it belongs to `link.owner`
  // and is not deleted. False when no such link matched.
  [[nodiscard]] virtual bool update(const Link& link) = 0;

  // Marks the link deleted if it belongs to `owner`; false when no such link matched.
  [[nodiscard]] virtual bool remove(std::string_view code, std::string_view owner,
                                    Timestamp now) = 0;

  // Counts one human visit of a visit-limited link, atomically with the check
  // against its limit. False when the limit was already reached (or the link
  // is gone): the visit must then be refused.
  [[nodiscard]] virtual bool take_visit(std::string_view code) = 0;

  // Throws when the database cannot answer a trivial query; for /readyz.
  virtual void check_ready() = 0;
};

}  // namespace waypost::shortener
