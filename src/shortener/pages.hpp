// The few HTML pages visitors see instead of a redirect. Each is one small
// self-contained document with no scripts or outside resources.
#pragma once

#include <string>
#include <string_view>

namespace waypost::shortener {

// "Link not found" or "This link has expired" (used up links count as expired).
std::string missing_link_page(bool expired);

// The password form of a protected link; it posts `password` back to /{code}.
// `message` (may be empty) explains why the form is shown again.
std::string password_page(std::string_view code, std::string_view message);

// The warning shown instead of redirecting to a blocked domain.
std::string blocked_link_page();

}  // namespace waypost::shortener
