#include "ca/device_properties.h"

namespace gatehouse::ca {

using devicefilter::DeviceProperty;

std::optional<std::string_view> DirectoryDeviceProperties::Scalar(DeviceProperty property) const {
  if (device_ == nullptr) return std::nullopt;
  const directory::Device& d = *device_;
  auto value = [](const std::string& s) -> std::optional<std::string_view> {
    if (s.empty()) return std::nullopt;
    return std::string_view(s);
  };
  switch (property) {
    case DeviceProperty::kDeviceId: return value(d.device_id);
    case DeviceProperty::kDisplayName: return value(d.display_name);
    case DeviceProperty::kDeviceOwnership: return value(d.device_ownership);
    case DeviceProperty::kEnrollmentProfileName: return value(d.enrollment_profile_name);
    case DeviceProperty::kIsCompliant:
      if (!d.is_compliant) return std::nullopt;
      return *d.is_compliant ? std::string_view("True") : std::string_view("False");
    case DeviceProperty::kManufacturer: return value(d.manufacturer);
    case DeviceProperty::kMdmAppId: return value(d.mdm_app_id);
    case DeviceProperty::kModel: return value(d.model);
    case DeviceProperty::kOperatingSystem: return value(d.operating_system);
    case DeviceProperty::kOperatingSystemVersion: return value(d.operating_system_version);
    case DeviceProperty::kProfileType: return value(d.profile_type);
    case DeviceProperty::kTrustType: return value(d.trust_type);
    case DeviceProperty::kPhysicalIds:
    case DeviceProperty::kSystemLabels:
      return std::nullopt;
    default: {
      auto index = static_cast<int>(property) - static_cast<int>(DeviceProperty::kExtensionAttribute1);
      if (index < 0 || index >= 15) return std::nullopt;
      bool visible = d.described_by_request || d.is_managed || d.is_compliant.value_or(false) ||
                     d.trust_type == "ServerAD";
      if (!visible) return std::nullopt;
      return value(d.extension_attributes[index]);
    }
  }
}

std::optional<std::span<const std::string>> DirectoryDeviceProperties::Collection(
    DeviceProperty property) const {
  if (device_ == nullptr) return std::nullopt;
  if (property == DeviceProperty::kPhysicalIds) return std::span<const std::string>(device_->physical_ids);
  if (property == DeviceProperty::kSystemLabels) {
    return std::span<const std::string>(device_->system_labels);
  }
  return std::nullopt;
}

}  // namespace gatehouse::ca
