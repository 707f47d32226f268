// What a save does to the file system around the checkpoint: it writes through a symbolic link to the
// link's target (the link stays a link), keeps an existing file's permission bits, and leaves no
// temporary file behind.
#include <catch2/catch.hpp>
#include <microtorch/microtorch.h>

#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint_helpers.h"
#include "helpers.h"

namespace mt = microtorch;
using helpers::TempDir;

namespace {

bool is_symlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}
mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
std::string link_target(const std::string& path) {
  char buf[4096];
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  REQUIRE(n > 0);
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

TEST_CASE("checkpoint files: saving over a symbolic link writes its target and keeps the link") {
  const TempDir dir;
  const mt::NamedTensors old_w{{"w", mt::full({2}, 1.0f)}}, new_w{{"w", mt::full({2}, 7.0f)}};
  mt::save(old_w, dir / "real.safetensors");
  REQUIRE(::symlink("real.safetensors", (dir / "link.safetensors").c_str()) == 0);  // relative, as `ln -s` makes
  mt::save(new_w, dir / "link.safetensors");
  CHECK(is_symlink(dir / "link.safetensors"));
  CHECK(link_target(dir / "link.safetensors") == "real.safetensors");
  CHECK(mt::load(dir / "real.safetensors")[0].second.to_vector<float>() == std::vector<float>{7.0f, 7.0f});
  CHECK(mt::load(dir / "link.safetensors")[0].second.to_vector<float>() == std::vector<float>{7.0f, 7.0f});

  // A chain of two links, the last one absolute; and a dangling link, whose target the save creates.
  REQUIRE(::symlink((dir / "link.safetensors").c_str(), (dir / "chain.safetensors").c_str()) == 0);
  mt::save(old_w, dir / "chain.safetensors");
  CHECK(is_symlink(dir / "chain.safetensors"));
  CHECK(is_symlink(dir / "link.safetensors"));
  CHECK(mt::load(dir / "real.safetensors")[0].second.to_vector<float>() == std::vector<float>{1.0f, 1.0f});
  REQUIRE(::symlink("later.safetensors", (dir / "dangling.safetensors").c_str()) == 0);
  mt::save(new_w, dir / "dangling.safetensors");
  CHECK(is_symlink(dir / "dangling.safetensors"));
  CHECK(mt::load(dir / "later.safetensors")[0].second.to_vector<float>() == std::vector<float>{7.0f, 7.0f});

  // A loop of links is refused, naming the path; no temporary file is left anywhere.
  REQUIRE(::symlink("loop_b", (dir / "loop_a").c_str()) == 0);
  REQUIRE(::symlink("loop_a", (dir / "loop_b").c_str()) == 0);
  CHECK_THROWS_WITH(mt::save(new_w, dir / "loop_a"), Catch::Contains("loop_a") && Catch::Contains("symbolic links"));
  for (const std::string& name : dir.files()) CHECK(name.find(".tmp-") == std::string::npos);
}

TEST_CASE("checkpoint files: saving over a file keeps its permission bits, and a new file is 0644") {
  const TempDir dir;
  const mt::NamedTensors w{{"w", mt::full({2}, 1.0f)}};
  mt::save(w, dir / "new.safetensors");
  CHECK(mode_of(dir / "new.safetensors") == 0644);
  for (mode_t mode : {mode_t(0600), mode_t(0640), mode_t(0444)}) {
    REQUIRE(::chmod((dir / "new.safetensors").c_str(), mode) == 0);
    mt::save(w, dir / "new.safetensors");  // replaced by rename: a read-only file can be replaced too
    CHECK(mode_of(dir / "new.safetensors") == mode);
  }
  // Through a link, the target's bits are kept.
  REQUIRE(::chmod((dir / "new.safetensors").c_str(), 0600) == 0);
  REQUIRE(::symlink("new.safetensors", (dir / "link").c_str()) == 0);
  mt::save(w, dir / "link");
  CHECK(mode_of(dir / "new.safetensors") == 0600);
  CHECK(mt::load(dir / "link")[0].second.to_vector<float>() == std::vector<float>{1.0f, 1.0f});
}
