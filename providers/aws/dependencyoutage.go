package aws

import (
	"errors"
	"strconv"

	"github.com/gameday-tui/gameday/providers"
)

// dependency-outage: the chosen tasks lose their dependency. Mode
// blackhole (default) is FIS aws:ecs:task-network-blackhole-port on the
// dependency's port and protocol (egress by default: the task's calls
// out); mode loss is aws:ecs:task-network-packet-loss towards sources
// (100% unless loss_percent says less).

func dependencyOutageAction(f providers.Fault) (fisAction, error) {
	x := f.Params.Extra
	params := map[string]string{}
	switch kindMode(f) {
	case ModeBlackhole:
		if !x.Has(ParamPort) || x.String(ParamProtocol) == "" {
			return fisAction{}, errors.New("a blackhole needs params.port and params.protocol")
		}
		params["port"] = strconv.Itoa(x.Int(ParamPort))
		params["protocol"] = x.String(ParamProtocol)
		params["trafficType"] = "egress"
		if t := x.String(ParamTrafficType); t != "" {
			params["trafficType"] = t
		}
		if x.Has(ParamFaultEndpoint) {
			params["useEcsFaultInjectionEndpoints"] = strconv.FormatBool(x.Bool(ParamFaultEndpoint))
		}
		commonParams(f, params)
		return fisAction{id: "aws:ecs:task-network-blackhole-port", params: params}, nil
	case ModeLoss:
		loss := 100.0
		if v, ok := x.Number(ParamLossPercent); ok {
			loss = v
		}
		params["lossPercent"] = strconv.FormatFloat(loss, 'f', -1, 64)
		networkParams(f, params)
		return fisAction{id: "aws:ecs:task-network-packet-loss", params: params}, nil
	}
	return fisAction{}, errors.New("dependency-outage modes are blackhole and loss")
}
