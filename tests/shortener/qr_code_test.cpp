#include "shortener/qr_code.hpp"

#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace waypost::shortener {
namespace {

const std::string kShortUrl = "http://127.0.0.1:8080/AbC123x";

// 300 bytes: QR version 13 at level M (holds 331), 69 modules wide.
std::string long_url() {
  std::string url = "https://www.example.org/search?utm_source=waypost&q=";
  while (url.size() < 300) {
    url += "qr-code-";
  }
  url.resize(300);
  return url;
}

// A file in the temporary directory, removed when the test is done with it.
class TempFile {
 public:
  explicit TempFile(const std::string& extension) {
    static std::atomic<int> counter{0};
    path_ =
        std::filesystem::temp_directory_path() / ("waypost-qr-test-" + std::to_string(::getpid()) +
                                                  "-" + std::to_string(counter++) + extension);
  }
  ~TempFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::filesystem::path& path() const { return path_; }

  void write(const std::string& bytes) const {
    std::ofstream out(path_, std::ios::binary);
    out << bytes;
  }

 private:
  std::filesystem::path path_;
};

// What zbarimg reads from the PNG, without the newline it ends its output with.
std::string decode_with_zbarimg(const std::string& png) {
  const TempFile file(".png");
  file.write(png);

  const std::string command = "zbarimg --raw -q '" + file.path().string() + "' 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    throw std::runtime_error("cannot run zbarimg");
  }
  std::string output;
  char buffer[4096];
  std::size_t read = 0;
  while ((read = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    output.append(buffer, read);
  }
  ::pclose(pipe);

  if (!output.empty() && output.back() == '\n') {
    output.pop_back();
  }
  return output;
}

// A decoded 8-bit greyscale image, one byte per pixel.
struct GreyImage {
  int width = 0;
  int height = 0;
  std::vector<unsigned char> pixels;

  unsigned char at(int x, int y) const {
    return pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                  static_cast<std::size_t>(x)];
  }
};

GreyImage decode_png(const std::string& png) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (png_image_begin_read_from_memory(&image, png.data(), png.size()) == 0) {
    throw std::runtime_error(std::string("not a PNG: ") + image.message);
  }
  image.format = PNG_FORMAT_GRAY;

  GreyImage grey;
  grey.width = static_cast<int>(image.width);
  grey.height = static_cast<int>(image.height);
  grey.pixels.resize(PNG_IMAGE_SIZE(image));
  if (png_image_finish_read(&image, nullptr, grey.pixels.data(), 0, nullptr) == 0) {
    throw std::runtime_error(std::string("bad PNG: ") + image.message);
  }
  return grey;
}

int count_of(const std::string& haystack, const std::string& needle) {
  int count = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// The first value of attribute `name` in `svg`, or "" when there is none.
std::string attribute(const std::string& svg, const std::string& name) {
  const std::regex pattern(" " + name + "=\"([^\"]*)\"");
  std::smatch match;
  return std::regex_search(svg, match, pattern) ? match[1].str() : std::string();
}

// Modules across the whole image, quiet zone included, read from the SVG's viewBox.
int svg_total_modules(const std::string& svg) {
  const std::regex pattern("^0 0 ([0-9]+) \\1$");
  std::smatch match;
  const std::string view_box = attribute(svg, "viewBox");
  if (!std::regex_match(view_box, match, pattern)) {
    throw std::runtime_error("unexpected viewBox: " + view_box);
  }
  return std::stoi(match[1].str());
}

// The dark modules the SVG path paints, on a grid of `total` by `total` modules. Understands
// the "M x y h n v1 h-n z" rectangles the renderer writes and fails on anything else.
std::vector<bool> svg_dark_modules(const std::string& svg, int total) {
  const std::string path = attribute(svg, "d");
  const std::regex run("M([0-9]+) ([0-9]+)h([0-9]+)v1h-\\3z");
  std::vector<bool> dark(static_cast<std::size_t>(total * total));

  std::size_t covered = 0;
  for (std::sregex_iterator it(path.begin(), path.end(), run), end; it != end; ++it) {
    const int x = std::stoi((*it)[1].str());
    const int y = std::stoi((*it)[2].str());
    const int length = std::stoi((*it)[3].str());
    for (int i = x; i < x + length; ++i) {
      dark.at(static_cast<std::size_t>(y * total + i)) = true;
    }
    covered += static_cast<std::size_t>(it->length());
  }
  EXPECT_EQ(covered, path.size()) << "path has commands the test does not understand";
  return dark;
}

TEST(QrPng, DecodesToTheShortUrl) {
  EXPECT_EQ(decode_with_zbarimg(render_qr_png(kShortUrl, QrOptions{})), kShortUrl);
}

TEST(QrPng, DecodesToALongUrl) {
  const std::string url = long_url();
  EXPECT_EQ(decode_with_zbarimg(render_qr_png(url, QrOptions{.size = 512, .margin = 4})), url);
}

TEST(QrPng, WidthFollowsTheModuleFormula) {
  // The short URL is 29 bytes: version 3 at level M, 29 modules. With the default quiet zone of
  // 4 that is 37 modules; 256 / 37 = 6 pixels each.
  const GreyImage image = decode_png(render_qr_png(kShortUrl, QrOptions{}));
  EXPECT_EQ(image.width, 6 * 37);
  EXPECT_EQ(image.height, image.width);
}

TEST(QrPng, MarginZeroLeavesOnlyTheSymbol) {
  // 29 modules, no quiet zone: 256 / 29 = 8 pixels each, and the corner is the finder pattern.
  const GreyImage without = decode_png(render_qr_png(kShortUrl, QrOptions{.margin = 0}));
  EXPECT_EQ(without.width, 8 * 29);
  EXPECT_EQ(without.at(0, 0), 0);

  const GreyImage with = decode_png(render_qr_png(kShortUrl, QrOptions{.margin = 4}));
  EXPECT_EQ(with.width, 6 * 37);
  EXPECT_EQ(with.at(0, 0), 255);
  EXPECT_EQ(with.at(6 * 4, 6 * 4), 0);  // first module of the finder pattern
}

TEST(QrPng, NeverNarrowerThanOnePixelPerModule) {
  // The long URL needs 69 + 2 * 4 = 77 modules, more than the 64 pixels asked for.
  const GreyImage image = decode_png(render_qr_png(long_url(), QrOptions{.size = 64}));
  EXPECT_EQ(image.width, 77);
}

TEST(QrPng, StaysWithinTheRequestedSize) {
  for (const int size : {kMinQrSize, 100, 255, 1000, kMaxQrSize}) {
    const GreyImage image = decode_png(render_qr_png(kShortUrl, QrOptions{.size = size}));
    const int pixels_per_module = size / 37;
    EXPECT_EQ(image.width, pixels_per_module * 37) << "size " << size;
    EXPECT_LE(image.width, size);
  }
}

TEST(QrPng, HasOnlyBlackAndWhitePixels) {
  const GreyImage image = decode_png(render_qr_png(kShortUrl, QrOptions{}));
  for (const unsigned char pixel : image.pixels) {
    ASSERT_TRUE(pixel == 0 || pixel == 255) << static_cast<int>(pixel);
  }
}

TEST(QrSvg, IsOneSizedDocumentWithOnePath) {
  const std::string svg = render_qr_svg(kShortUrl, QrOptions{});
  EXPECT_TRUE(svg.starts_with("<?xml") || svg.starts_with("<svg"));
  EXPECT_EQ(count_of(svg, "<svg "), 1);
  EXPECT_EQ(count_of(svg, "</svg>"), 1);
  EXPECT_EQ(attribute(svg, "viewBox"), "0 0 37 37");
  EXPECT_EQ(attribute(svg, "width"), std::to_string(6 * 37));
  EXPECT_EQ(attribute(svg, "height"), std::to_string(6 * 37));
  EXPECT_EQ(attribute(svg, "shape-rendering"), "crispEdges");
  EXPECT_EQ(count_of(svg, "<path"), 1);
}

TEST(QrSvg, MarginZeroShrinksTheViewBox) {
  const std::string svg = render_qr_svg(kShortUrl, QrOptions{.margin = 0});
  EXPECT_EQ(attribute(svg, "viewBox"), "0 0 29 29");
  EXPECT_EQ(attribute(svg, "width"), std::to_string(8 * 29));
}

// No SVG rasteriser is installed here (no rsvg-convert, no ImageMagick), so zbarimg cannot read
// the SVG. Instead the SVG's path is drawn on a module grid and compared with the PNG, which
// zbarimg does read: both must paint exactly the same modules.
TEST(QrSvg, PaintsTheSameModulesAsThePng) {
  for (const std::string& text : {kShortUrl, long_url()}) {
    const QrOptions options{.size = 300, .margin = 2};
    const std::string svg = render_qr_svg(text, options);
    const GreyImage png = decode_png(render_qr_png(text, options));

    const int total = svg_total_modules(svg);
    ASSERT_EQ(png.width % total, 0);
    const int module_pixels = png.width / total;
    const std::vector<bool> dark = svg_dark_modules(svg, total);
    for (int y = 0; y < total; ++y) {
      for (int x = 0; x < total; ++x) {
        const bool png_dark = png.at(x * module_pixels + module_pixels / 2,
                                     y * module_pixels + module_pixels / 2) == 0;
        ASSERT_EQ(dark[static_cast<std::size_t>(y * total + x)], png_dark)
            << "module " << x << "," << y;
      }
    }
  }
}

TEST(QrCode, RejectsTextNoVersionHolds) {
  const std::string huge(5000, 'a');
  EXPECT_THROW(render_qr_png(huge, QrOptions{}), std::invalid_argument);
  EXPECT_THROW(render_qr_svg(huge, QrOptions{}), std::invalid_argument);

  // Fits version 40 at level L (2,953 bytes) but not at level M (2,331 bytes).
  const std::string too_long_for_m(2400, 'a');
  EXPECT_THROW(render_qr_png(too_long_for_m, QrOptions{}), std::invalid_argument);
}

TEST(QrCode, RejectsEmptyText) {
  EXPECT_THROW(render_qr_svg("", QrOptions{}), std::invalid_argument);
}

TEST(QrCode, RejectsOptionsOutOfRange) {
  EXPECT_THROW(render_qr_png(kShortUrl, QrOptions{.size = kMinQrSize - 1}), std::invalid_argument);
  EXPECT_THROW(render_qr_png(kShortUrl, QrOptions{.size = kMaxQrSize + 1}), std::invalid_argument);
  EXPECT_THROW(render_qr_svg(kShortUrl, QrOptions{.margin = -1}), std::invalid_argument);
  EXPECT_THROW(render_qr_svg(kShortUrl, QrOptions{.margin = kMaxQrMargin + 1}),
               std::invalid_argument);
  EXPECT_NO_THROW(render_qr_svg(kShortUrl, QrOptions{.size = kMaxQrSize, .margin = kMaxQrMargin}));
}

TEST(QrCode, ConcurrentRenderingsAgree) {
  const std::string expected = render_qr_png(long_url(), QrOptions{});
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&results, i] {
      for (int round = 0; round < 20; ++round) {
        results[i] = render_qr_png(long_url(), QrOptions{});
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (const std::string& result : results) {
    EXPECT_EQ(result, expected);
  }
}

}  // namespace
}  // namespace waypost::shortener
