// The image of berth's pause container (pause/pause.cc, built static and embedded at build
// time): a tar holding only /pause, imported into the engine as kPauseImage when missing.
// Pure; any thread.
#pragma once

#include <string>

namespace berth::docker {

inline constexpr const char* kPauseImage = "berth/pause:1";

// The image as an uncompressed tar archive (POST /images/create?fromSrc=-).
std::string PauseImageTar();

}  // namespace berth::docker
