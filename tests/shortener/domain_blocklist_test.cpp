#include "shortener/abuse/domain_blocklist.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace waypost::shortener {
namespace {

// A file under the system's temporary directory, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("waypost-blocklist-" + std::to_string(::getpid()) + "-" + name)) {}
  ~TempFile() { std::filesystem::remove(path_); }

  void write(const std::string& contents) const {
    std::ofstream(path_, std::ios::trunc) << contents;
  }
  void remove() const { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(DomainBlocklist, BlocksTheDomainAndEverySubdomain) {
  const auto list = DomainBlocklist::from_lines({"evil.example"});
  EXPECT_TRUE(list->blocks("evil.example"));
  EXPECT_TRUE(list->blocks("www.evil.example"));
  EXPECT_TRUE(list->blocks("a.b.evil.example"));
}

TEST(DomainBlocklist, LeavesTheParentAndSiblingsAlone) {
  const auto list = DomainBlocklist::from_lines({"evil.example"});
  EXPECT_FALSE(list->blocks("example"));
  EXPECT_FALSE(list->blocks("notevil.example"));
  EXPECT_FALSE(list->blocks("good.example"));
  EXPECT_FALSE(list->blocks("evil.example.com"));
  EXPECT_FALSE(list->blocks("xevil.example"));
}

TEST(DomainBlocklist, MatchesBelowMultiLabelSuffixes) {
  const auto list = DomainBlocklist::from_lines({"evil.co.uk"});
  EXPECT_TRUE(list->blocks("evil.co.uk"));
  EXPECT_TRUE(list->blocks("shop.evil.co.uk"));
  EXPECT_FALSE(list->blocks("co.uk"));
  EXPECT_FALSE(list->blocks("good.co.uk"));
  EXPECT_FALSE(list->blocks("evil.uk"));
}

TEST(DomainBlocklist, EntryBelowARegistrableDomainBlocksOnlyThatBranch) {
  const auto list = DomainBlocklist::from_lines({"phish.shared-host.example"});
  EXPECT_TRUE(list->blocks("phish.shared-host.example"));
  EXPECT_TRUE(list->blocks("login.phish.shared-host.example"));
  EXPECT_FALSE(list->blocks("shared-host.example"));
  EXPECT_FALSE(list->blocks("other.shared-host.example"));
}

TEST(DomainBlocklist, SkipsLinesThatArePublicSuffixes) {
  const auto list =
      DomainBlocklist::from_lines({"co.uk", "blogspot.com", "com", "bad.example", "github.io"});
  EXPECT_EQ(list->size(), 1u);
  ASSERT_EQ(list->skipped().size(), 4u);
  EXPECT_EQ(list->skipped()[0],
            "line 1: \"co.uk\" is a public suffix; listing it would block unrelated sites");
  EXPECT_EQ(list->skipped()[1].rfind("line 2: \"blogspot.com\"", 0), 0u) << list->skipped()[1];
  EXPECT_FALSE(list->blocks("anything.co.uk"));
  EXPECT_FALSE(list->blocks("someone.blogspot.com"));
  EXPECT_FALSE(list->blocks("example.com"));
  EXPECT_TRUE(list->blocks("bad.example"));
}

TEST(DomainBlocklist, BlocksOneSiteUnderAPrivateSuffix) {
  const auto list = DomainBlocklist::from_lines({"victim.blogspot.com"});
  EXPECT_TRUE(list->blocks("victim.blogspot.com"));
  EXPECT_TRUE(list->blocks("www.victim.blogspot.com"));
  EXPECT_FALSE(list->blocks("other.blogspot.com"));
}

TEST(DomainBlocklist, IgnoresCommentsBlankLinesCaseAndATrailingDot) {
  const auto list = DomainBlocklist::from_lines({
      "# Domains reported for phishing",
      "",
      "   ",
      "Evil.EXAMPLE.   # reported twice",
      "\tother.example\r",
      "#commented.example",
  });
  EXPECT_EQ(list->size(), 2u);
  EXPECT_TRUE(list->skipped().empty());
  EXPECT_TRUE(list->blocks("evil.example"));
  EXPECT_TRUE(list->blocks("other.example"));
  EXPECT_FALSE(list->blocks("commented.example"));
}

TEST(DomainBlocklist, UnicodeLineMatchesItsPunycodeHost) {
  const auto list = DomainBlocklist::from_lines({"bücher.example", "ΠΑΡΆΔΕΙΓΜΑ.example"});
  EXPECT_EQ(list->size(), 2u);
  EXPECT_TRUE(list->blocks("xn--bcher-kva.example"));
  EXPECT_TRUE(list->blocks("shop.xn--bcher-kva.example"));
  EXPECT_TRUE(list->blocks("xn--hxajbheg2az3al.example"));  // παράδειγμα, lower-cased
}

TEST(DomainBlocklist, PunycodeLineMatchesToo) {
  const auto list = DomainBlocklist::from_lines({"XN--BCHER-KVA.example"});
  EXPECT_TRUE(list->blocks("xn--bcher-kva.example"));
}

TEST(DomainBlocklist, IpLiteralsMatchOnlyExactly) {
  const auto list = DomainBlocklist::from_lines({"192.0.2.1", "[2001:db8::1]", "2001:db8::2"});
  EXPECT_EQ(list->size(), 3u);
  EXPECT_TRUE(list->blocks("192.0.2.1"));
  EXPECT_FALSE(list->blocks("192.0.2.10"));
  EXPECT_FALSE(list->blocks("192.0.2.2"));
  EXPECT_TRUE(list->blocks("[2001:db8::1]"));
  EXPECT_TRUE(list->blocks("2001:db8::1"));
  EXPECT_TRUE(list->blocks("[2001:db8::2]"));
  EXPECT_FALSE(list->blocks("[2001:db8::3]"));
}

TEST(DomainBlocklist, IpLiteralEntryBlocksNoName) {
  const auto list = DomainBlocklist::from_lines({"192.0.2.1"});
  EXPECT_FALSE(list->blocks("2.1"));
  EXPECT_FALSE(list->blocks("example.com"));
}

TEST(DomainBlocklist, SkipsLinesThatAreNotDomainNames) {
  const auto list = DomainBlocklist::from_lines(
      {"*.example.com", "https://evil.example/", "two words.example", "a..example", "ok.example"});
  EXPECT_EQ(list->size(), 1u);
  ASSERT_EQ(list->skipped().size(), 4u);
  EXPECT_EQ(list->skipped()[0], "line 1: \"*.example.com\" is not a domain name");
  EXPECT_FALSE(list->blocks("www.example.com"));
}

TEST(DomainBlocklist, EmptyListBlocksNothing) {
  const auto list = DomainBlocklist::from_lines({});
  EXPECT_EQ(list->size(), 0u);
  EXPECT_FALSE(list->blocks("example.com"));
  EXPECT_FALSE(list->blocks(""));
  EXPECT_FALSE(list->blocks("192.0.2.1"));
}

TEST(DomainBlocklist, LoadsAFile) {
  const TempFile file("load");
  file.write("# test list\nevil.example\n\nco.uk\nbücher.example");
  const auto list = DomainBlocklist::load(file.path());
  EXPECT_EQ(list->size(), 2u);
  EXPECT_EQ(list->skipped().size(), 1u);
  EXPECT_TRUE(list->blocks("www.evil.example"));
  EXPECT_TRUE(list->blocks("xn--bcher-kva.example"));
}

TEST(DomainBlocklist, UnreadableFileThrowsNamingIt) {
  const std::string missing = "/nonexistent/waypost-blocklist.txt";
  try {
    DomainBlocklist::load(missing);
    ADD_FAILURE() << "loaded a missing file";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(missing), std::string::npos) << error.what();
  }
  EXPECT_THROW(DomainBlocklist::load(std::filesystem::temp_directory_path().string()),
               std::runtime_error);
}

TEST(BlocklistHolder, EmptyPathBlocksNothingAndReloadDoesNothing) {
  BlocklistHolder holder("");
  EXPECT_EQ(holder.path(), "");
  EXPECT_EQ(holder.current()->size(), 0u);
  holder.reload();
  EXPECT_FALSE(holder.current()->blocks("evil.example"));
}

TEST(BlocklistHolder, ReloadSwapsInTheNewList) {
  const TempFile file("swap");
  file.write("first.example\n");
  BlocklistHolder holder(file.path());
  const auto before = holder.current();
  EXPECT_TRUE(before->blocks("first.example"));

  file.write("second.example\n");
  holder.reload();
  EXPECT_FALSE(holder.current()->blocks("first.example"));
  EXPECT_TRUE(holder.current()->blocks("second.example"));
  // A reader holding the old list keeps a working one.
  EXPECT_TRUE(before->blocks("first.example"));
}

TEST(BlocklistHolder, FailingReloadKeepsTheOldList) {
  const TempFile file("keep");
  file.write("first.example\n");
  BlocklistHolder holder(file.path());

  file.remove();
  EXPECT_THROW(holder.reload(), std::runtime_error);
  EXPECT_TRUE(holder.current()->blocks("first.example"));
}

TEST(BlocklistHolder, ConstructorThrowsWhenTheFileIsMissing) {
  EXPECT_THROW(BlocklistHolder("/nonexistent/waypost-blocklist.txt"), std::runtime_error);
}

TEST(BlocklistHolder, ReadersSeeAWholeListDuringReloads) {
  const TempFile file("readers");
  file.write("a.example\nb.example\n");
  BlocklistHolder holder(file.path());

  std::thread reader([&] {
    for (int i = 0; i < 2'000; ++i) {
      const auto list = holder.current();
      // Each version of the file lists both domains or neither.
      ASSERT_EQ(list->blocks("a.example"), list->blocks("b.example"));
    }
  });
  for (int i = 0; i < 50; ++i) {
    file.write(i % 2 == 0 ? "c.example\n" : "a.example\nb.example\n");
    holder.reload();
  }
  reader.join();
}

}  // namespace
}  // namespace waypost::shortener
