// Elbv2Api: dispatch by Action and the XML envelope.
#include "api/elbv2/elbv2_api.h"

#include "common/ids.h"

namespace berth::api {

namespace {

constexpr char kNamespace[] = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

HttpResponse Envelope(const std::string& action, const Elbv2Api::Reply& reply) {
  std::string request_id = NewUuid();
  HttpResponse r;
  r.headers = {{"Content-Type", "text/xml"}, {"x-amzn-RequestId", request_id}};
  elbv2::XmlWriter w;
  if (reply.error) {
    r.status = reply.error->http_status;
    w.Raw(std::string("<ErrorResponse xmlns=\"") + kNamespace + "\">");
    w.Open("Error");
    w.Element("Type", r.status >= 500 ? "Receiver" : "Sender");
    w.Element("Code", reply.error->type);
    w.Element("Message", reply.error->message);
    w.Close("Error");
    w.Element("RequestId", request_id);
    w.Close("ErrorResponse");
  } else {
    // `action` is one of the names in kActions, so it needs no escaping.
    w.Raw("<" + action + "Response xmlns=\"" + kNamespace + "\">");
    w.Open(action + "Result");
    w.Raw(reply.result_xml);
    w.Close(action + "Result");
    w.Open("ResponseMetadata");
    w.Element("RequestId", request_id);
    w.Close("ResponseMetadata");
    w.Close(action + "Response");
  }
  r.body = w.str();
  return r;
}

}  // namespace

HttpResponse Elbv2Api::Handle(const std::string& body, const std::string& region) {
  In in(body);
  if (!in.ok()) return Envelope("", elbv2::Invalid(in.error()));
  auto action = in.String("Action");
  if (!action || action->empty()) {
    return Envelope("", {"", AwsError{400, "MissingAction", "The request must contain the "
                                                             "parameter Action."}});
  }
  auto version = in.String("Version");
  if (version && *version != kVersion) {
    return Envelope("", {"", AwsError{400, "InvalidAction",
                                      "Could not find operation " + *action + " for version " +
                                          *version}});
  }
  using Plain = Reply (Elbv2Api::*)(In&);
  using Regional = Reply (Elbv2Api::*)(In&, const std::string&);
  struct Action {
    const char* name;
    Plain plain;
    Regional regional;
  };
  static const Action kActions[] = {
      {"CreateLoadBalancer", nullptr, &Elbv2Api::CreateLoadBalancer},
      {"DescribeLoadBalancers", &Elbv2Api::DescribeLoadBalancers, nullptr},
      {"DeleteLoadBalancer", &Elbv2Api::DeleteLoadBalancer, nullptr},
      {"CreateTargetGroup", nullptr, &Elbv2Api::CreateTargetGroup},
      {"DescribeTargetGroups", &Elbv2Api::DescribeTargetGroups, nullptr},
      {"ModifyTargetGroup", &Elbv2Api::ModifyTargetGroup, nullptr},
      {"DeleteTargetGroup", &Elbv2Api::DeleteTargetGroup, nullptr},
      {"DescribeTargetGroupAttributes", &Elbv2Api::DescribeTargetGroupAttributes, nullptr},
      {"ModifyTargetGroupAttributes", &Elbv2Api::ModifyTargetGroupAttributes, nullptr},
      {"CreateListener", &Elbv2Api::CreateListener, nullptr},
      {"DescribeListeners", &Elbv2Api::DescribeListeners, nullptr},
      {"DeleteListener", &Elbv2Api::DeleteListener, nullptr},
      {"RegisterTargets", &Elbv2Api::RegisterTargets, nullptr},
      {"DeregisterTargets", &Elbv2Api::DeregisterTargets, nullptr},
      {"DescribeTargetHealth", &Elbv2Api::DescribeTargetHealth, nullptr},
      {"AddTags", &Elbv2Api::AddTags, nullptr},
      {"RemoveTags", &Elbv2Api::RemoveTags, nullptr},
      {"DescribeTags", &Elbv2Api::DescribeTags, nullptr},
  };
  for (const Action& a : kActions) {
    if (*action != a.name) continue;
    Reply reply = a.plain ? (this->*a.plain)(in) : (this->*a.regional)(in, region);
    return Envelope(a.name, reply);
  }
  return Envelope("", {"", AwsError{400, "InvalidAction",
                                    "The action " + *action +
                                        " is not valid for this web service (berth supports a "
                                        "subset of Elastic Load Balancing v2)."}});
}

}  // namespace berth::api
