// Adapts a directory device record to what device filters read. Null (nullopt) stands for
// properties an unregistered device lacks and for empty values; extensionAttribute1-15 are only
// visible when the device is managed by our UEM, compliant or hybrid joined (ca-semantics §3.4).
#pragma once

#include "devicefilter/device_filter.h"
#include "directory/directory_snapshot.h"

namespace gatehouse::ca {

class DirectoryDeviceProperties final : public devicefilter::DevicePropertySource {
 public:
  // `device` may be null: an unregistered device, every property null.
  explicit DirectoryDeviceProperties(const directory::Device* device) : device_(device) {}

  std::optional<std::string_view> Scalar(devicefilter::DeviceProperty property) const override;
  std::optional<std::span<const std::string>> Collection(
      devicefilter::DeviceProperty property) const override;

 private:
  const directory::Device* device_;
};

}  // namespace gatehouse::ca
