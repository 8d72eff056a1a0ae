#include "ca/well_known_apps.h"

#include <algorithm>
#include <array>

namespace gatehouse::ca {
namespace {

// Microsoft's "Office 365" app group (reference-office-365-application-contents).
constexpr std::array<std::string_view, 12> kOffice365 = {
    "67ad5377-2d78-4ac2-a867-6300cda00e85",  // Office 365 (the suite itself)
    "00000002-0000-0ff1-ce00-000000000000",  // Office 365 Exchange Online
    "00000003-0000-0ff1-ce00-000000000000",  // Office 365 SharePoint Online
    "00000004-0000-0ff1-ce00-000000000000",  // Skype for Business Online
    "00000005-0000-0ff1-ce00-000000000000",  // Office 365 Yammer
    "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",  // Microsoft Teams Services
    "1fec8e78-bce4-4aaf-ab1b-5451cc387264",  // Microsoft Teams
    "09abbdfd-ed23-44ee-a2d9-a627aa1c90f3",  // Microsoft Planner
    "c9a559d2-7aab-4f13-a6ed-e7e9c52aec87",  // Microsoft Forms
    "cf53fce8-def6-4aeb-8d30-b158e7b1cf83",  // Microsoft Stream
    "d3590ed6-52b3-4102-aeff-aad2292ab01c",  // Microsoft Office
    "4345a7b9-9a63-4910-a426-35363201d503",  // Office Online (O365 Suite UX)
};

// Microsoft Admin Portals: the interactive admin consoles (not their APIs).
// (Not the Microsoft Intune service 0000000a-… nor My Apps 2793995e-…: those are services and
// portals for everyone, which real policies exclude on purpose.)
constexpr std::array<std::string_view, 4> kAdminPortals = {
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",  // Azure portal
    "00000006-0000-0ff1-ce00-000000000000",  // Microsoft 365 admin center (Office 365 Portal)
    "497effe9-df71-4043-a8bb-14cf78c4b63b",  // Exchange admin center
    "80ccca67-54bd-44ab-8625-4b79c4dc7775",  // Microsoft 365 Defender / security portal
};

template <std::size_t N>
bool In(const std::array<std::string_view, N>& list, std::string_view app_id) {
  return std::find(list.begin(), list.end(), app_id) != list.end();
}

}  // namespace

bool IsOffice365App(std::string_view app_id) { return In(kOffice365, app_id); }
bool IsAdminPortalApp(std::string_view app_id) { return In(kAdminPortals, app_id); }

std::vector<std::string_view> WellKnownGroupedApps() {
  std::vector<std::string_view> apps(kOffice365.begin(), kOffice365.end());
  apps.insert(apps.end(), kAdminPortals.begin(), kAdminPortals.end());
  return apps;
}

}  // namespace gatehouse::ca
