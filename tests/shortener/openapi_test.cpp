// docs/openapi/shortener.yaml against the shortener's real route table: every
// route and method the router serves is described, and the document describes
// nothing the router does not serve.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>
#include <utility>

#include "service_harness.hpp"

namespace waypost::shortener {
namespace {

namespace http = core::http;

// A path template ("/api/v1/links/{code}") and a lower-case method ("get"),
// spelled as OpenAPI spells them.
using Operation = std::pair<std::string, std::string>;

// The operation keys a Path Item Object may hold; its other keys
// (parameters, summary, servers, ...) are not operations.
constexpr std::array<std::string_view, 8> kOpenApiMethods = {
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
};

std::string lower_case(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string describe(const std::set<Operation>& operations) {
  std::string out;
  for (const auto& [path, method] : operations) {
    out += "\n  " + method + " " + path;
  }
  return out;
}

// Builds the service and its router as shortener-server does, so that the
// route table is exactly the one the server serves.
class OpenApiDocumentTest : public ::testing::Test, protected testing::ServiceHarness {
 protected:
  OpenApiDocumentTest() : ServiceHarness("openapi-test", *parse_rfc3339("2029-12-31T00:00:00Z")) {}

  // Every (pattern, method) the router serves.
  std::set<Operation> routed() const {
    std::set<Operation> operations;
    for (const auto& route : router_.routes()) {
      for (auto method : route.methods) {
        operations.emplace(route.pattern, lower_case(http::to_string(method)));
      }
    }
    return operations;
  }

  // Every (path, method) operation of the OpenAPI document.
  static std::set<Operation> documented() {
    auto document = YAML::LoadFile(WAYPOST_OPENAPI_DOCUMENT);
    std::set<Operation> operations;
    for (const auto& path : document["paths"]) {
      for (const auto& entry : path.second) {
        auto key = entry.first.as<std::string>();
        if (std::find(kOpenApiMethods.begin(), kOpenApiMethods.end(), key) !=
            kOpenApiMethods.end()) {
          operations.emplace(path.first.as<std::string>(), key);
        }
      }
    }
    return operations;
  }
};

TEST_F(OpenApiDocumentTest, ReadsRoutesAndOperations) {
  EXPECT_GE(routed().size(), 15u);
  EXPECT_GE(documented().size(), 15u);
}

TEST_F(OpenApiDocumentTest, DescribesEveryRouteAndMethod) {
  auto operations = documented();
  std::set<Operation> undocumented;
  for (const auto& [pattern, method] : routed()) {
    bool described = operations.contains({pattern, method});
    // The server answers every HEAD like the GET of the same route, without the
    // body, and the document says so once in its conventions; so a documented
    // GET documents its HEAD. Every other method needs its own operation.
    if (method == "head") {
      described = described || operations.contains({pattern, "get"});
    }
    if (!described) {
      undocumented.emplace(pattern, method);
    }
  }
  EXPECT_TRUE(undocumented.empty())
      << "routes missing from " WAYPOST_OPENAPI_DOCUMENT ":" << describe(undocumented);
}

TEST_F(OpenApiDocumentTest, DescribesOnlyRoutesThatExist) {
  auto routes = routed();
  std::set<Operation> invented;
  for (const auto& operation : documented()) {
    if (!routes.contains(operation)) {
      invented.insert(operation);
    }
  }
  EXPECT_TRUE(invented.empty()) << "operations of " WAYPOST_OPENAPI_DOCUMENT
                                   " that no route serves:"
                                << describe(invented);
}

}  // namespace
}  // namespace waypost::shortener
