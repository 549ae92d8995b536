// fuzz_zip: libFuzzer target for the function-code zip reader (functions/zip_reader.h).
//
// Input: the archive bytes. ListZip and ReadZip (into a sink that checks and discards) run with
// small limits, so a bomb costs at most a few MiB of inflate per input.
//
// Checked: nothing crashes or throws; every listed entry has a normalised, relative path
// (no leading '/', no empty, '.' or '..' component); ReadZip delivers exactly the declared
// size of each file and never more than the unzipped limit in total; both agree on success.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "functions/zip_reader.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "fuzz_zip: invariant failed: %s\n", what);
    abort();
  }
}

bool SafePath(const std::string& p) {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t slash = p.find('/', start);
    if (slash == std::string::npos) slash = p.size();
    std::string_view comp(p.data() + start, slash - start);
    if (comp.empty() || comp == "." || comp == "..") return false;
    if (comp.find('\0') != std::string_view::npos) return false;
    start = slash + 1;
  }
  return true;
}

class CheckingSink : public berth::functions::ZipSink {
 public:
  explicit CheckingSink(uint64_t limit) : limit_(limit) {}
  berth::Status Begin(const berth::functions::ZipEntry& e) override {
    Check(SafePath(e.path), "unsafe path reached the sink");
    Check(!open_, "Begin without End");
    open_ = true;
    declared_ = e.size;
    got_ = 0;
    return berth::Status::Ok();
  }
  berth::Status Data(std::string_view chunk) override {
    Check(open_, "Data outside an entry");
    got_ += chunk.size();
    total_ += chunk.size();
    Check(got_ <= declared_, "more data than declared");
    Check(total_ <= limit_, "more data than the unzipped limit");
    return berth::Status::Ok();
  }
  berth::Status End() override {
    Check(open_, "End without Begin");
    Check(got_ == declared_, "an entry ended short of its declared size");
    open_ = false;
    return berth::Status::Ok();
  }

 private:
  uint64_t limit_;
  bool open_ = false;
  uint64_t declared_ = 0, got_ = 0, total_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view zip(reinterpret_cast<const char*>(data), size);
  berth::functions::ZipLimits limits;
  limits.max_zip_bytes = 1 << 20;
  limits.max_unzipped_bytes = 4 << 20;
  limits.max_entries = 1000;
  auto entries = berth::functions::ListZip(zip, limits);
  if (entries.ok()) {
    for (const auto& e : *entries) Check(SafePath(e.path), "unsafe path listed");
  }
  CheckingSink sink(limits.max_unzipped_bytes);
  berth::Status st = berth::functions::ReadZip(zip, sink, limits);
  if (st.ok()) Check(entries.ok(), "ReadZip accepted what ListZip refused");
  if (!entries.ok()) Check(!st.ok(), "ReadZip accepted what ListZip refused");
  return 0;
}
