// Destination domains the shortener refuses to link to, checked when a link is created and again
// on every redirect (so adding a domain also stops links made before it was listed).
//
// Listing a domain blocks it and every subdomain: "evil.example" blocks "a.b.evil.example" but
// neither its parent "example" nor a sibling such as "notevil.example". The public suffix list
// (libpsl) keeps an entry from reaching across registrations: a line that is itself a public
// suffix ("co.uk", "blogspot.com") would block unrelated sites, so it is skipped.
//
// The suffix data is psl_latest(): the newer of the copy built into libpsl and Debian's
// /usr/share/publicsuffix/public_suffix_list.dafsa, which the publicsuffix package updates
// without a rebuild of libpsl. It is loaded once per process, so an updated file is only seen
// after a restart.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace waypost::shortener {

class DomainBlocklist {
 public:
  // Reads `path`: one domain per line, '#' starts a comment (also after an entry), blank lines
  // and surrounding white space are ignored, letter case does not matter, Unicode names are
  // converted to ASCII (UTS #46 via libidn2, as the URL normaliser does) and one trailing dot is
  // dropped. Each line should be a registrable domain ("example.co.uk") or a name below one; an
  // IP address ("192.0.2.1", "2001:db8::1" or "[2001:db8::1]") blocks that address only.
  //
  // Lines that are skipped, each reported in skipped(): a public suffix itself (per libpsl, e.g.
  // "co.uk" or "blogspot.com"), and anything that is not a domain name (wildcards such as
  // "*.example.com", URLs, names IDNA refuses).
  //
  // Throws std::runtime_error naming the file when it cannot be read, and std::runtime_error
  // when libpsl has no suffix data at all.
  static std::shared_ptr<const DomainBlocklist> load(const std::string& path);

  // As load(), from lines already in memory; for tests. Line numbers in skipped() count from 1.
  static std::shared_ptr<const DomainBlocklist> from_lines(const std::vector<std::string>& lines);

  // True when `host` is a listed domain or a subdomain of one. `host` is as stored in a
  // normalised URL: lower-case ASCII without a trailing dot. An IP literal (bare or in brackets)
  // matches only an equal listed address. The walk up the labels stops at the registrable
  // domain, so it costs one suffix lookup and a hash lookup per label below it. Thread-safe.
  bool blocks(std::string_view host) const;

  // The number of entries in force (domains and addresses).
  std::size_t size() const { return domains_.size() + addresses_.size(); }

  // The lines that were skipped, each as "line N: \"text\" <reason>", in file order; for the
  // operator's log.
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };
  using NameSet = std::unordered_set<std::string, Hash, std::equal_to<>>;

  DomainBlocklist() = default;
  void add_line(std::string_view line, std::size_t number);

  NameSet domains_;    // ASCII, lower case, no trailing dot
  NameSet addresses_;  // canonical text of boost::asio::ip::address, without brackets
  std::vector<std::string> skipped_;
};

// Holds the current blocklist and swaps it atomically when the file is reloaded (on SIGHUP).
class BlocklistHolder {
 public:
  // Loads `path` at once, throwing as DomainBlocklist::load() does. An empty path means nothing
  // is blocked and reload() does nothing.
  explicit BlocklistHolder(std::string path);

  // Reads the file again and makes it current. On failure the previous list stays in force and
  // the exception (as from DomainBlocklist::load()) is rethrown. Safe to call from any thread;
  // concurrent reloads are serialised.
  void reload();

  // The list in force; never null. Safe and cheap from any thread (an atomic shared_ptr load);
  // a list stays valid for as long as the caller holds it, even across a reload.
  std::shared_ptr<const DomainBlocklist> current() const { return current_.load(); }

  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  std::mutex reload_mutex_;  // serialises reload()
  std::atomic<std::shared_ptr<const DomainBlocklist>> current_;
};

}  // namespace waypost::shortener
