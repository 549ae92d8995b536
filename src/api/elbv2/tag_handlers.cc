// Elbv2Api: tags on load balancers, target groups and listeners.
#include "api/elbv2/elbv2_api.h"

namespace berth::api {

using namespace elbv2;  // NOLINT: the handler files share these helpers

Elbv2Api::Reply Elbv2Api::AddTags(In& in) {
  auto arns = in.List("ResourceArns");
  auto tags = TagsFrom(in, "Tags");
  if (in.ok() && arns.empty()) in.RequiredString("ResourceArns");
  if (in.ok() && tags.empty()) in.RequiredString("Tags");
  if (!in.ok()) return InputError(in);
  Status st = lb_.AddTags(arns, tags);
  if (!st.ok()) return Fail(st);
  return Ok(XmlWriter());
}

Elbv2Api::Reply Elbv2Api::RemoveTags(In& in) {
  auto arns = in.List("ResourceArns");
  auto keys = in.List("TagKeys");
  if (in.ok() && arns.empty()) in.RequiredString("ResourceArns");
  if (in.ok() && keys.empty()) in.RequiredString("TagKeys");
  if (!in.ok()) return InputError(in);
  Status st = lb_.RemoveTags(arns, keys);
  if (!st.ok()) return Fail(st);
  return Ok(XmlWriter());
}

Elbv2Api::Reply Elbv2Api::DescribeTags(In& in) {
  auto arns = in.List("ResourceArns");
  if (in.ok() && arns.empty()) in.RequiredString("ResourceArns");
  if (!in.ok()) return InputError(in);
  if (arns.size() > 20) {
    return Invalid("1 validation error detected: Value at 'resourceArns' failed to satisfy "
                   "constraint: Member must have length less than or equal to 20");
  }
  auto descriptions = lb_.DescribeTags(arns);
  if (!descriptions.ok()) return Fail(descriptions.status());
  XmlWriter w;
  w.Open("TagDescriptions");
  for (const auto& d : *descriptions) {
    w.Open("member");
    w.Element("ResourceArn", d.arn);
    WriteTags(w, d.tags);
    w.Close("member");
  }
  w.Close("TagDescriptions");
  return Ok(w);
}

}  // namespace berth::api
