// libFuzzer target for the device filter parser and evaluator. Beyond "no
// crash, no sanitizer report" it checks the contract: every error starts with
// "position N: ", a parsed rule keeps its text, re-parses to the same result,
// and obeys the null semantics on an unregistered device.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "devicefilter/device_filter.h"

namespace {

using gatehouse::devicefilter::DeviceFilter;
using gatehouse::devicefilter::DeviceFilterLimits;
using gatehouse::devicefilter::DeviceProperty;
using gatehouse::devicefilter::DevicePropertySource;
using gatehouse::devicefilter::IsCollectionProperty;

void Check(bool condition) {
  if (!condition) std::abort();
}

class NullDevice : public DevicePropertySource {
 public:
  std::optional<std::string_view> Scalar(DeviceProperty property) const override {
    Check(!IsCollectionProperty(property));
    return std::nullopt;
  }
  std::optional<std::span<const std::string>> Collection(DeviceProperty property) const override {
    Check(IsCollectionProperty(property));
    return std::nullopt;
  }
};

// Every property set; values drawn from the input so the comparisons take both
// branches.
class InputDevice : public DevicePropertySource {
 public:
  explicit InputDevice(std::string_view input) {
    for (std::size_t i = 0; i < 4; ++i) {
      values_.emplace_back(input.substr(0, input.size() * (i + 1) / 8));
    }
    values_.emplace_back("True");
    values_.emplace_back("AzureAD");
  }
  std::optional<std::string_view> Scalar(DeviceProperty property) const override {
    Check(!IsCollectionProperty(property));
    return std::string_view(values_[static_cast<std::size_t>(property) % values_.size()]);
  }
  std::optional<std::span<const std::string>> Collection(DeviceProperty property) const override {
    Check(IsCollectionProperty(property));
    return std::span<const std::string>(values_);
  }

 private:
  std::vector<std::string> values_;
};

void CheckError(const absl::Status &status) {
  Check(status.code() == absl::StatusCode::kInvalidArgument);
  const std::string message(status.message());
  Check(message.substr(0, 9) == "position ");
  std::size_t i = 9;
  while (i < message.size() && message[i] >= '0' && message[i] <= '9') ++i;
  Check(i > 9 && message.substr(i, 2) == ": ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  const std::string_view rule(reinterpret_cast<const char *>(data), size);

  absl::StatusOr<DeviceFilter> filter = DeviceFilter::Parse(rule);
  if (!filter.ok()) {
    CheckError(filter.status());
  } else {
    Check(filter->rule() == rule);
    Check(!filter->properties().empty());
    const NullDevice null_device;
    const InputDevice input_device(rule);
    const bool on_null = filter->Matches(null_device);
    const bool on_input = filter->Matches(input_device);
    absl::StatusOr<DeviceFilter> again = DeviceFilter::Parse(filter->rule());
    Check(again.ok());
    Check(again->Matches(null_device) == on_null);
    Check(again->Matches(input_device) == on_input);
    Check(again->properties() == filter->properties());
  }

  // Tight limits reach the nesting and list-size errors with short inputs.
  DeviceFilterLimits tight;
  tight.max_rule_length = 256;
  tight.max_nesting = 3;
  tight.max_list_items = 2;
  absl::StatusOr<DeviceFilter> bounded = DeviceFilter::Parse(rule, tight);
  if (!bounded.ok()) {
    CheckError(bounded.status());
  } else {
    // Whatever passes tight limits passes the defaults too.
    Check(filter.ok());
  }
  return 0;
}
