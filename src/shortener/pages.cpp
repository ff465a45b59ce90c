#include "shortener/pages.hpp"

#include "core/http.hpp"

namespace waypost::shortener {
namespace {

std::string page(std::string_view title, std::string_view body_html) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta name=\"robots\" content=\"noindex\"><title>" +
         std::string(title) + "</title></head>\n<body><h1>" + std::string(title) + "</h1>" +
         std::string(body_html) + "</body></html>\n";
}

}  // namespace

std::string missing_link_page(bool expired) {
  return expired ? page("This link has expired",
                        "<p>The short link you followed is no longer active.</p>")
                 : page("Link not found",
                        "<p>There is no short link at this address. Check for typos.</p>");
}

std::string password_page(std::string_view code, std::string_view message) {
  std::string body;
  if (!message.empty()) {
    body += "<p role=\"alert\"><strong>" + core::html_escape(message) + "</strong></p>";
  }
  body +=
      "<p>This link is protected. Enter its password to continue.</p>"
      "<form method=\"post\" action=\"/" +
      core::html_escape(code) +
      "\"><label>Password <input type=\"password\" name=\"password\" required "
      "autofocus></label> <button type=\"submit\">Continue</button></form>";
  return page("Password required", body);
}

std::string blocked_link_page() {
  return page("Link disabled",
              "<p>This short link points to a site that is blocked on this service, "
              "for example because it was reported for phishing or malware. "
              "It no longer redirects.</p>");
}

}  // namespace waypost::shortener
