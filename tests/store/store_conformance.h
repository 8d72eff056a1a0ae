// The store conformance suite: behaviour every Store backend must show, written once as
// parameterized tests. A backend instantiates it with a factory of StoreBackend, e.g.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance,
//                            testing::Values(StoreBackendFactory{"Sqlite", &MakeSqliteBackend}),
//                            StoreBackendFactoryName);
//
// Each test gets a fresh, empty backend; Open may be called again to reopen the same storage
// (persistence tests close the first store before reopening).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "store/store.h"

namespace gatehouse::store::testing {

// A deterministic clock shared by the store and the test: every reading advances one millisecond.
class FakeClock {
 public:
  explicit FakeClock(absl::Time start) : micros_(absl::ToUnixMicros(start)) {}
  absl::Time Now() { return absl::FromUnixMicros(micros_.fetch_add(1000)); }
  absl::Time Peek() const { return absl::FromUnixMicros(micros_.load()); }

 private:
  std::atomic<std::int64_t> micros_;
};

// One empty storage location of a backend (a temporary directory, a fresh database schema...).
class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  // Opens the store on this backend's storage, timestamps from `clock`.
  virtual absl::StatusOr<std::unique_ptr<Store>> Open(FakeClock* clock) = 0;
};

struct StoreBackendFactory {
  std::string name;
  std::function<std::unique_ptr<StoreBackend>()> make;
};

inline std::string StoreBackendFactoryName(
    const ::testing::TestParamInfo<StoreBackendFactory>& info) {
  return info.param.name;
}

class StoreConformance : public ::testing::TestWithParam<StoreBackendFactory> {
 protected:
  void SetUp() override {
    backend_ = GetParam().make();
    auto store = backend_->Open(&clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  // Closes the store and opens it again on the same storage.
  void Reopen() {
    store_.reset();
    auto store = backend_->Open(&clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2024, 5, 1, 10, 0, 0), absl::UTCTimeZone())};
  std::unique_ptr<StoreBackend> backend_;
  std::unique_ptr<Store> store_;
};

}  // namespace gatehouse::store::testing
