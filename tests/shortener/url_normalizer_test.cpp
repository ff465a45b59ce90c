#include "shortener/url_normalizer.hpp"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace waypost::shortener {
namespace {

// The normalised URL, or the refusal's code in angle brackets ("<url_own_host>"), so that a
// failing expectation shows what came out either way.
std::string outcome(std::string_view input, const UrlPolicy& policy = {}) {
  const auto result = normalize_destination(input, policy);
  if (result) {
    return *result;
  }
  return "<" + std::string(error_code(result.error().error)) + ">";
}

std::string refusal(UrlError error) {
  return "<" + std::string(error_code(error)) + ">";
}

// Checks what every accepted URL must satisfy: without its fragment it is an RFC 3986
// absolute-URI for Boost.URL (that grammar has no fragment), with it a URI, and normalising it
// again changes nothing.
testing::AssertionResult is_stable_uri(const std::string& url, const UrlPolicy& policy = {}) {
  const std::string_view without_fragment = std::string_view(url).substr(0, url.find('#'));
  if (!boost::urls::parse_absolute_uri(without_fragment) || !boost::urls::parse_uri(url)) {
    return testing::AssertionFailure() << "\"" << url << "\" is not an absolute URI";
  }
  const std::string again = outcome(url, policy);
  if (again != url) {
    return testing::AssertionFailure()
           << "normalising \"" << url << "\" again gave \"" << again << "\"";
  }
  return testing::AssertionSuccess();
}

// Checks that `input` normalises to `expected`, and that the output is a stable URI as above.
// Every accepted case in this file goes through here, so the fixed-point promise is tested on
// all of them.
testing::AssertionResult normalizes_to(std::string_view input, std::string_view expected,
                                       const UrlPolicy& policy = {}) {
  const std::string output = outcome(input, policy);
  if (output != expected) {
    return testing::AssertionFailure() << "input \"" << input << "\" gave \"" << output
                                       << "\", expected \"" << expected << "\"";
  }
  return is_stable_uri(output, policy);
}

bool is_unchanged(std::string_view url, const UrlPolicy& policy = {}) {
  return normalizes_to(url, url, policy);
}

UrlPolicy allowing_private_addresses() {
  UrlPolicy policy;
  policy.allow_private_addresses = true;
  return policy;
}

UrlPolicy allowing_credentials() {
  UrlPolicy policy;
  policy.allow_credentials = true;
  return policy;
}

// ---------------------------------------------------------------------------------------------
// Hosts

TEST(UrlNormalizer, ConvertsUnicodeHostToPunycodeAndEncodesPath) {
  EXPECT_TRUE(normalizes_to("https://bücher.example/straße?q=ü",
                            "https://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"));
  EXPECT_TRUE(normalizes_to("https://straße.example/", "https://xn--strae-oqa.example/"));
  EXPECT_TRUE(normalizes_to("https://BÜCHER.example/", "https://xn--bcher-kva.example/"));
  EXPECT_TRUE(normalizes_to("https://測試/?abc", "https://xn--g6w251d/?abc"));
}

TEST(UrlNormalizer, DecodesPercentEncodedHostBeforeConvertingIt) {
  // libidn2 and the WHATWG parser of Node.js both give "xn--tbingen-n2a" for "tübingen".
  EXPECT_TRUE(normalizes_to("http://t%C3%BCbingen.example/", "http://xn--tbingen-n2a.example/"));
  EXPECT_TRUE(normalizes_to("https://%CF%80.example.com/foo", "https://xn--1xa.example.com/foo"));
  EXPECT_TRUE(normalizes_to("http://ex%41mple.com/", "http://example.com/"));
}

TEST(UrlNormalizer, MapsFullWidthCharactersAndIdeographicDotsInHost) {
  EXPECT_TRUE(normalizes_to("https://ｅｘａｍｐｌｅ.com/", "https://example.com/"));
  EXPECT_TRUE(normalizes_to("https://例え。テスト/", "https://xn--r8jz45g.xn--zckzah/"));
}

TEST(UrlNormalizer, KeepsAsciiLabelsWithUnusualHyphensAndUnderscores) {
  EXPECT_TRUE(is_unchanged("https://r3---sn-4g5e6nsz.googlevideo.com/videoplayback"));
  EXPECT_TRUE(is_unchanged("https://my_site.blogspot.com/"));
  EXPECT_TRUE(is_unchanged("https://-start.example/"));
}

TEST(UrlNormalizer, ValidatesPunycodeLabels) {
  EXPECT_TRUE(normalizes_to("https://XN--BCHER-KVA.example/", "https://xn--bcher-kva.example/"));
  EXPECT_EQ(outcome("https://xn--zz.example/"), refusal(UrlError::kInvalidHost));
}

TEST(UrlNormalizer, RefusesLabelsThatIdnaDisallows) {
  EXPECT_EQ(outcome("https://a\u200db.example/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://%FF.example/"), refusal(UrlError::kInvalidHost));
  // Browsers accept these under UTS #46; libidn2 holds non-ASCII labels to IDNA2008.
  EXPECT_EQ(outcome("https://i\u2764.ws/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://\u00df-.example/"), refusal(UrlError::kInvalidHost));
}

TEST(UrlNormalizer, DropsOneTrailingDotFromHost) {
  EXPECT_TRUE(normalizes_to("https://example.com./x", "https://example.com/x"));
  EXPECT_TRUE(normalizes_to("https://EXAMPLE.com.:8443", "https://example.com:8443/"));
  EXPECT_EQ(outcome("https://example.com../"), refusal(UrlError::kInvalidHost));
}

TEST(UrlNormalizer, RefusesHostsWithEmptyLabels) {
  EXPECT_EQ(outcome("https://a..b/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://.example.com/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://./"), refusal(UrlError::kInvalidHost));
}

TEST(UrlNormalizer, RefusesForbiddenHostCharacters) {
  EXPECT_EQ(outcome("https://exa mple.com/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://exa%20mple.com/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://exa%00mple.com/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://exa<mple.com/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://exa^mple.com/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://exa\"mple.com/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("https://exa%25mple.com/"), refusal(UrlError::kInvalidHost));
  EXPECT_EQ(outcome("http://%s:%d"), refusal(UrlError::kInvalidHost));
  // A no-break space maps to a space under UTS #46, which hosts cannot hold.
  EXPECT_EQ(outcome("http://bugs.kde.org.\u00a0\u00a0Reporting"), refusal(UrlError::kInvalidHost));
}

TEST(UrlNormalizer, ReadsNumericHostsAsIpv4LikeBrowsers) {
  EXPECT_TRUE(normalizes_to("http://0x08.0x08.0x08.0x08/", "http://8.8.8.8/"));
  EXPECT_TRUE(normalizes_to("http://134744072/", "http://8.8.8.8/"));
  EXPECT_TRUE(normalizes_to("http://010.010.010.010/", "http://8.8.8.8/"));
  EXPECT_TRUE(normalizes_to("http://8.8.2056/", "http://8.8.8.8/"));
  EXPECT_TRUE(normalizes_to("http://8.8.8.8./", "http://8.8.8.8/"));
  EXPECT_TRUE(normalizes_to("http://0X8.0x.8.8/", "http://8.0.8.8/"));
}

TEST(UrlNormalizer, RefusesInvalidNumericHosts) {
  for (const std::string_view input :
       {"http://256.1.1.1/", "http://1.2.3.4.5/", "http://09.1.1.1/", "http://4294967296/",
        "http://1.2.3.256/", "http://1.2.65536/", "http://0x1g.1/", "http://example.0x/",
        "http://1..2.3/"}) {
    EXPECT_EQ(outcome(input), refusal(UrlError::kInvalidHost)) << input;
  }
}

TEST(UrlNormalizer, KeepsNamesWhoseLastLabelIsNotNumeric) {
  EXPECT_TRUE(is_unchanged("http://1.2.3.4.example/"));
  EXPECT_TRUE(is_unchanged("http://123.com/"));
  EXPECT_TRUE(is_unchanged("http://0xample.com/"));
}

TEST(UrlNormalizer, WritesIpv6LiteralsCompressedInLowerCase) {
  EXPECT_TRUE(normalizes_to("http://[2001:DB8:0:0:0:0:0:1]/", "http://[2001:db8::1]/"));
  EXPECT_TRUE(
      normalizes_to("http://[2001:db8:0:0:1:0:0:1]:8080/x", "http://[2001:db8::1:0:0:1]:8080/x"));
  EXPECT_TRUE(
      normalizes_to("http://[2001:0db8:0000:1:1:1:1:1]/", "http://[2001:db8:0:1:1:1:1:1]/"));
  EXPECT_TRUE(normalizes_to("https://[::FFFF:8.8.8.8]:443/", "https://[::ffff:808:808]/"));
  EXPECT_TRUE(normalizes_to("http://[1:0:0:2:0:0:0:3]/", "http://[1:0:0:2::3]/"));
}

TEST(UrlNormalizer, RefusesInvalidIpv6Literals) {
  for (const std::string_view input :
       {"http://[::1/", "http://[1:2:3:4:5:6:7:8:9]/", "http://[::g]/", "http://[fe80::1%25eth0]/",
        "http://[]/", "http://[::ffff:1.2.3.04]/", "http://[::1]x/"}) {
    EXPECT_EQ(outcome(input), refusal(UrlError::kInvalidHost)) << input;
  }
}

// ---------------------------------------------------------------------------------------------
// Scheme, ports and the shape of the URL

TEST(UrlNormalizer, LowerCasesSchemeAndHostButNotPathOrQuery) {
  EXPECT_TRUE(normalizes_to("HTTP://Example.COM/Path/To?ID=AbC&x=Y",
                            "http://example.com/Path/To?ID=AbC&x=Y"));
  EXPECT_TRUE(normalizes_to("hTtPs://EXAMPLE.com", "https://example.com/"));
}

TEST(UrlNormalizer, RefusesSchemesOtherThanHttpAndHttps) {
  for (const std::string_view input :
       {"javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
        "java\tscript:alert(1)", "java\nscript:alert(1)", "\x01javascript:alert(1)",
        "data:text/html,x", "vbscript:x", "file:///etc/passwd", "ftp://example.com/",
        "ws://example.com/", "httpx://example.com/", "localhost:8080"}) {
    EXPECT_EQ(outcome(input), refusal(UrlError::kSchemeNotAllowed)) << input;
  }
}

TEST(UrlNormalizer, RefusesRelativeAndSchemelessInput) {
  for (const std::string_view input :
       {"example.com", "www.example.com/path", "//example.com/", "/path/only", "?q=1", "#top",
        "1http://example.com/", ":example.com", "ht tp://example.com/"}) {
    EXPECT_EQ(outcome(input), refusal(UrlError::kMalformed)) << input;
  }
}

TEST(UrlNormalizer, RefusesEmptyInput) {
  EXPECT_EQ(outcome(""), refusal(UrlError::kEmpty));
  EXPECT_EQ(outcome(" \t\r\n "), refusal(UrlError::kEmpty));
}

TEST(UrlNormalizer, TrimsSurroundingWhiteSpaceAndRemovesLineBreaksInside) {
  EXPECT_TRUE(normalizes_to("  https://example.com/  \n", "https://example.com/"));
  EXPECT_TRUE(normalizes_to("\t\x01https://exa\nmple.com/pa\r\nth?q=\t1\x1f",
                            "https://example.com/path?q=1"));
}

TEST(UrlNormalizer, ReadsMissingAndBackslashedSlashesAsBrowsersDo) {
  EXPECT_TRUE(normalizes_to("https:example.com", "https://example.com/"));
  EXPECT_TRUE(normalizes_to("http:/example.com", "http://example.com/"));
  EXPECT_TRUE(normalizes_to("https:///example.com/a", "https://example.com/a"));
  EXPECT_TRUE(
      normalizes_to("http:\\\\example.com\\a\\b?c\\d#e\\f", "http://example.com/a/b?c%5Cd#e%5Cf"));
}

TEST(UrlNormalizer, DropsDefaultAndEmptyPorts) {
  EXPECT_TRUE(normalizes_to("https://example.com:443/x", "https://example.com/x"));
  EXPECT_TRUE(normalizes_to("http://example.com:80/x", "http://example.com/x"));
  EXPECT_TRUE(normalizes_to("http://example.com:0080/x", "http://example.com/x"));
  EXPECT_TRUE(normalizes_to("http://example.com:/x", "http://example.com/x"));
}

TEST(UrlNormalizer, KeepsOtherPortsWithoutLeadingZeros) {
  EXPECT_TRUE(normalizes_to("http://example.com:8080", "http://example.com:8080/"));
  EXPECT_TRUE(normalizes_to("https://example.com:80/", "https://example.com:80/"));
  EXPECT_TRUE(normalizes_to("http://example.com:443/", "http://example.com:443/"));
  EXPECT_TRUE(normalizes_to("http://example.com:08080/", "http://example.com:8080/"));
  EXPECT_TRUE(normalizes_to("http://example.com:65535/", "http://example.com:65535/"));
  EXPECT_TRUE(normalizes_to("http://example.com:000/", "http://example.com:0/"));
}

TEST(UrlNormalizer, RefusesInvalidPorts) {
  for (const std::string_view input :
       {"http://example.com:99999/", "http://example.com:65536/", "http://example.com:12ab/",
        "http://example.com:-1/", "http://example.com:80:80/", "http://example.com: 80/",
        "http://[::1]:x/", "http://example.com:1000000000000000000000/"}) {
    EXPECT_EQ(outcome(input), refusal(UrlError::kInvalidPort)) << input;
  }
}

TEST(UrlNormalizer, RefusesUrlsWithoutHost) {
  for (const std::string_view input : {"https://", "http:", "https:///", "https://?q", "https://#x",
                                       "https://:443/", "https://user@/", "http:\\\\"}) {
    EXPECT_EQ(outcome(input), refusal(UrlError::kInvalidHost)) << input;
  }
}

// ---------------------------------------------------------------------------------------------
// Path, query and fragment

TEST(UrlNormalizer, KeepsEscapesInPathAndQueryByteForByte) {
  EXPECT_TRUE(is_unchanged("https://example.com/a%20b/c%27d?e=f%2Bg%3D"));
  EXPECT_TRUE(is_unchanged("https://example.com/p?x=%24+1%0Ay%26z"));
  EXPECT_TRUE(is_unchanged("https://example.com/?ug=Ab%2BCd%2F%3D"));
  EXPECT_TRUE(is_unchanged("https://example.com/%e2%82%ac/%2e%2E/?q=%2b&r=%7e#%2f"));
}

TEST(UrlNormalizer, KeepsPlusSignsAndSubDelimitersAsSent) {
  EXPECT_TRUE(is_unchanged("https://example.com/a+b/c;d=e,f!g$h&i'j(k)*l@m:n?o=p+q&r='s'/?#t@u"));
}

TEST(UrlNormalizer, KeepsFragment) {
  EXPECT_TRUE(is_unchanged("https://example.com/app#/view/15/37"));
  EXPECT_TRUE(is_unchanged("https://example.com/?#"));
  EXPECT_TRUE(normalizes_to("https://example.com/#a#b", "https://example.com/#a%23b"));
}

TEST(UrlNormalizer, EncodesSpacesInPathAndQuery) {
  EXPECT_TRUE(normalizes_to("https://example.com/some path/file name.pdf?q=a b",
                            "https://example.com/some%20path/file%20name.pdf?q=a%20b"));
}

TEST(UrlNormalizer, EncodesCharactersOutsideRfc3986InUpperCaseHex) {
  EXPECT_TRUE(
      normalizes_to("https://example.com/\"<>^`{|}[]?\"<>^`{|}[]\\#\"<>^`{|}[]\\",
                    "https://example.com/%22%3C%3E%5E%60%7B%7C%7D%5B%5D"
                    "?%22%3C%3E%5E%60%7B%7C%7D%5B%5D%5C#%22%3C%3E%5E%60%7B%7C%7D%5B%5D%5C"));
  EXPECT_TRUE(
      normalizes_to("https://example.com/\x01\x7f?\x1b=1", "https://example.com/%01%7F?%1B=1"));
}

TEST(UrlNormalizer, EncodesPercentSignsThatStartNoEscape) {
  EXPECT_TRUE(normalizes_to("https://example.com/100%/a%2?b=%zz&c=%",
                            "https://example.com/100%25/a%252?b=%25zz&c=%25"));
}

TEST(UrlNormalizer, EncodesNonAsciiAsUtf8AndInvalidUtf8ByteByByte) {
  EXPECT_TRUE(normalizes_to("https://example.com/caf\u00e9?\u20ac#\u00fc",
                            "https://example.com/caf%C3%A9?%E2%82%AC#%C3%BC"));
  EXPECT_TRUE(normalizes_to("https://example.com/\xff\xc3?\x80", "https://example.com/%FF%C3?%80"));
}

TEST(UrlNormalizer, GivesEmptyPathASlash) {
  EXPECT_TRUE(normalizes_to("https://example.com", "https://example.com/"));
  EXPECT_TRUE(normalizes_to("https://example.com?q=1", "https://example.com/?q=1"));
  EXPECT_TRUE(normalizes_to("https://example.com#top", "https://example.com/#top"));
}

TEST(UrlNormalizer, LeavesDotSegmentsAsTheyAre) {
  EXPECT_TRUE(is_unchanged("https://example.com/a/../b/./c/.."));
  EXPECT_TRUE(is_unchanged("https://example.com/../../etc/passwd"));
}

TEST(UrlNormalizer, RoundTripsAnEightThousandCharacterUrlExactly) {
  std::string url = "https://example.com/files/";
  for (int i = 0; url.size() < 8000; ++i) {
    url += "segment-" + std::to_string(i) + "/%2F%c3%a9~";
  }
  url += "?token=Ab%2BCd%2F%3D&q=x+y#frag";
  ASSERT_GT(url.size(), 8000u);

  EXPECT_TRUE(is_unchanged(url));
}

TEST(UrlNormalizer, RefusesUrlsLongerThanThePolicyAllows) {
  UrlPolicy policy;
  policy.max_length = 30;
  const std::string at_limit = "https://example.com/" + std::string(10, 'a');
  ASSERT_EQ(at_limit.size(), 30u);

  EXPECT_TRUE(is_unchanged(at_limit, policy));
  EXPECT_EQ(outcome(at_limit + "a", policy), refusal(UrlError::kTooLong));
  // Encoding can push a URL over the limit: three bytes per space.
  EXPECT_EQ(outcome("https://example.com/a b c d", policy), refusal(UrlError::kTooLong));
  EXPECT_EQ(outcome("https://example.com/" + std::string(40000, 'a')), refusal(UrlError::kTooLong));
  EXPECT_EQ(outcome(std::string(200000, ' ')), refusal(UrlError::kTooLong));
}

// ---------------------------------------------------------------------------------------------
// Policy

TEST(UrlNormalizer, RefusesLinksToOwnHostInAnySpelling) {
  UrlPolicy policy;
  policy.own_hosts = {"sho.rt"};
  for (const std::string_view input :
       {"https://SHO.RT/x", "http://sho.rt./x", "http://sho.rt:80/x", "https://sho.rt:443/",
        "https://sho.rt:8443/", "https://sh%6F.rt/", "https:sho.rt", "https://sho.rt%2E/",
        "https://sho.rt\u3002/", "https://\uff53\uff48\uff4f.\uff52\uff54/"}) {
    EXPECT_EQ(outcome(input, policy), refusal(UrlError::kOwnHost)) << input;
  }
  EXPECT_TRUE(is_unchanged("https://www.sho.rt/x", policy));
  EXPECT_TRUE(is_unchanged("https://sho.rt.example/x", policy));
}

TEST(UrlNormalizer, NormalisesOwnHostEntriesToo) {
  UrlPolicy policy;
  policy.own_hosts = {"BÜCHER.Example.", "xn--strae-oqa.example:8080", "[::FFFF:808:808]",
                      "not a host"};
  EXPECT_EQ(outcome("https://xn--bcher-kva.example/", policy), refusal(UrlError::kOwnHost));
  EXPECT_EQ(outcome("https://straße.example/", policy), refusal(UrlError::kOwnHost));
  EXPECT_EQ(outcome("https://[::ffff:8.8.8.8]/", policy), refusal(UrlError::kOwnHost));
  EXPECT_TRUE(is_unchanged("https://example.com/", policy));
}

TEST(UrlNormalizer, RefusesCredentialsUnlessThePolicyAllowsThem) {
  for (const std::string_view input :
       {"https://user:pass@example.com/", "https://user@example.com/", "https://:pass@example.com/",
        "https://user:@example.com/", "https://a@b@example.com/"}) {
    EXPECT_EQ(outcome(input), refusal(UrlError::kCredentialsNotAllowed)) << input;
  }

  const UrlPolicy policy = allowing_credentials();
  EXPECT_TRUE(is_unchanged("https://user:pass@example.com/", policy));
  EXPECT_TRUE(is_unchanged("https://user@example.com/", policy));
  EXPECT_TRUE(is_unchanged("https://:pass@example.com/", policy));
  EXPECT_TRUE(normalizes_to("https://user:@EXAMPLE.com", "https://user@example.com/", policy));
  EXPECT_TRUE(
      normalizes_to("https://a@b:c:d@example.com/", "https://a%40b:c:d@example.com/", policy));
  EXPECT_TRUE(normalizes_to("https://us er:p%2Fss@example.com/",
                            "https://us%20er:p%2Fss@example.com/", policy));
}

TEST(UrlNormalizer, DropsEmptyCredentialsAsBrowsersDo) {
  EXPECT_TRUE(normalizes_to("https://@example.com/", "https://example.com/"));
  EXPECT_TRUE(normalizes_to("https://:@example.com/", "https://example.com/"));
}

TEST(UrlNormalizer, RefusesPrivateAddressesUnlessThePolicyAllowsThem) {
  for (const std::string_view input : {"http://127.0.0.1/",
                                       "http://10.1.2.3/",
                                       "http://[::1]/",
                                       "http://0x7f.1/",
                                       "http://2130706433/",
                                       "http://017700000001/",
                                       "http://localhost/",
                                       "http://LOCALHOST./",
                                       "http://api.localhost:3000/",
                                       "http://0.0.0.0/",
                                       "http://0/",
                                       "http://100.64.0.1/",
                                       "http://100.127.255.255/",
                                       "http://169.254.169.254/",
                                       "http://172.16.0.1/",
                                       "http://172.31.255.255/",
                                       "http://192.168.1.1/",
                                       "http://255.255.255.255/",
                                       "http://[::]/",
                                       "http://[fc00::1]/",
                                       "http://[fdff::1]/",
                                       "http://[fe80::1]/",
                                       "http://[febf::1]/",
                                       "http://[::ffff:127.0.0.1]/",
                                       "http://[::ffff:a00:1]/",
                                       "http://[::ffff:192.168.0.1]/"}) {
    EXPECT_EQ(outcome(input), refusal(UrlError::kPrivateAddress)) << input;
  }

  const UrlPolicy policy = allowing_private_addresses();
  for (const std::string_view input : {"http://127.0.0.1/", "http://0x7f.1/", "http://2130706433/",
                                       "http://017700000001/", "http://127.1/"}) {
    EXPECT_TRUE(normalizes_to(input, "http://127.0.0.1/", policy));
  }
  EXPECT_TRUE(normalizes_to("http://[0::1]:8080/", "http://[::1]:8080/", policy));
  EXPECT_TRUE(normalizes_to("http://Localhost:3000/", "http://localhost:3000/", policy));
}

TEST(UrlNormalizer, AcceptsPublicAddressesNextToPrivateRanges) {
  for (const std::string_view input :
       {"http://1.0.0.1/",           "http://9.255.255.255/",   "http://11.0.0.0/",
        "http://100.63.255.255/",    "http://100.128.0.0/",     "http://126.255.255.255/",
        "http://128.0.0.1/",         "http://169.253.0.1/",     "http://172.15.255.255/",
        "http://172.32.0.0/",        "http://192.167.255.255/", "http://192.169.0.0/",
        "http://255.255.255.254/",   "http://[2001:db8::1]/",   "http://[fbff::1]/",
        "http://[fec0::1]/",         "http://[::2]/",           "http://[::ffff:808:808]/",
        "http://localhost.example/", "http://notlocalhost/"}) {
    EXPECT_TRUE(is_unchanged(input)) << input;
  }
}

TEST(UrlNormalizer, ChecksSyntaxBeforePolicy) {
  UrlPolicy policy;
  policy.own_hosts = {"sho.rt"};
  EXPECT_EQ(outcome("https://user@sho.rt:99999/", policy), refusal(UrlError::kInvalidPort));
  EXPECT_EQ(outcome("https://user@sho.rt/", policy), refusal(UrlError::kCredentialsNotAllowed));
  EXPECT_EQ(outcome("https://user@127.0.0.1/"), refusal(UrlError::kCredentialsNotAllowed));
}

// ---------------------------------------------------------------------------------------------
// The result type

TEST(UrlNormalizer, NamesEveryErrorWithAStableCode) {
  const std::map<UrlError, std::string_view> expected{
      {UrlError::kEmpty, "url_empty"},
      {UrlError::kTooLong, "url_too_long"},
      {UrlError::kMalformed, "url_malformed"},
      {UrlError::kSchemeNotAllowed, "url_scheme_not_allowed"},
      {UrlError::kInvalidHost, "url_invalid_host"},
      {UrlError::kInvalidPort, "url_invalid_port"},
      {UrlError::kCredentialsNotAllowed, "url_credentials_not_allowed"},
      {UrlError::kPrivateAddress, "url_private_address"},
      {UrlError::kOwnHost, "url_own_host"},
  };
  for (const auto& [error, code] : expected) {
    EXPECT_EQ(error_code(error), code);
  }
}

TEST(UrlNormalizer, ExplainsEachRefusalInOneSentence) {
  UrlPolicy policy;
  policy.own_hosts = {"sho.rt"};
  for (const std::string_view input :
       {"", "example.com", "ftp://x/", "https://a b/", "https://x:y/", "https://u@x/",
        "https://10.0.0.1/", "https://sho.rt/"}) {
    const auto result = normalize_destination(input, policy);
    ASSERT_FALSE(result) << input;
    const std::string& message = result.error().message;
    EXPECT_FALSE(message.empty()) << input;
    EXPECT_EQ(message.back(), '.') << input;
    EXPECT_EQ(message.find('\n'), std::string::npos) << input;
  }
}

TEST(UrlNormalizer, ValueOfARefusalThrowsInvalidArgument) {
  const auto result = normalize_destination("javascript:alert(1)", {});
  EXPECT_THROW((void)result.value(), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Real URLs

std::vector<std::string> read_lines(const std::string& name) {
  std::ifstream file(std::string(WAYPOST_TEST_DATA_DIR "/urls/") + name);
  if (!file) {
    throw std::runtime_error("cannot open test data file " + name);
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) {
    lines.push_back(line);
  }
  return lines;
}

// The text between "://" and the path, query or fragment.
std::string_view authority_of(std::string_view url) {
  const std::size_t start = url.find("://");
  if (start == std::string_view::npos) {
    return {};
  }
  const std::string_view rest = url.substr(start + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

// Why a line of debian-docs.txt must be refused, judged more simply than the normaliser does,
// or nullopt when it must be accepted. Every line there starts with http:// or https://.
std::optional<UrlError> expected_debian_refusal(std::string_view line) {
  // Placeholders from printf formats and manual pages: no browser can open them either.
  if (line == "http://%s:%d") {
    return UrlError::kInvalidHost;
  }
  if (line == "http://127.0.0.1:$" || line == "http://host:port/json/list") {
    return UrlError::kInvalidPort;
  }
  // URLs run into the sentence after them, the gaps being no-break spaces. In a host a browser
  // refuses them too; later in the URL they are only escaped.
  const std::string_view authority = authority_of(line);
  if (authority.find("\u00a0") != std::string_view::npos) {
    return UrlError::kInvalidHost;
  }
  if (authority.find('@') != std::string_view::npos) {
    return UrlError::kCredentialsNotAllowed;
  }
  const std::string_view host = authority.substr(0, authority.find(':'));
  if (host == "localhost" || host.starts_with("127.")) {
    return UrlError::kPrivateAddress;
  }
  return std::nullopt;
}

// Every one of these real pages opens in a browser (checked against a WHATWG parser when the
// test was written), so each must be accepted.
TEST(UrlNormalizerRealData, AcceptsEveryLegitimateWebPage) {
  const std::vector<std::string> lines = read_lines("web-pages.txt");
  ASSERT_EQ(lines.size(), 5715u);

  for (const std::string& line : lines) {
    const auto result = normalize_destination(line, {});
    if (!result) {
      ADD_FAILURE() << line << " refused: " << result.error().message;
      continue;
    }
    EXPECT_TRUE(is_stable_uri(*result)) << line;
  }
}

TEST(UrlNormalizerRealData, AcceptsDebianDocumentationUrlsUnlessABrowserOrThePolicyWouldNot) {
  const std::vector<std::string> lines = read_lines("debian-docs.txt");
  ASSERT_EQ(lines.size(), 1940u);

  std::map<std::string, int> counts;
  for (const std::string& line : lines) {
    const std::string output = outcome(line);
    const std::optional<UrlError> refusal_expected = expected_debian_refusal(line);
    if (refusal_expected) {
      EXPECT_EQ(output, refusal(*refusal_expected)) << line;
    } else {
      EXPECT_TRUE(is_stable_uri(output)) << line;
    }
    ++counts[refusal_expected ? std::string(error_code(*refusal_expected)) : "accepted"];
  }

  // The counts found when the test was written, so a change in the data is noticed.
  EXPECT_EQ(counts, (std::map<std::string, int>{{"accepted", 1896},
                                                {"url_credentials_not_allowed", 13},
                                                {"url_invalid_host", 5},
                                                {"url_invalid_port", 2},
                                                {"url_private_address", 24}}));
}

TEST(UrlNormalizerRealData, SurvivesReportedPhishingUrls) {
  const std::vector<std::string> lines = read_lines("phishing-reported.txt");
  ASSERT_EQ(lines.size(), 5715u);

  for (const std::string& line : lines) {
    const auto result = normalize_destination(line, {});
    if (result) {
      EXPECT_TRUE(is_stable_uri(*result)) << line;
    }
  }
}

}  // namespace
}  // namespace waypost::shortener
