package awsfake

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch: Smithy RPC v2 CBOR, which service/cloudwatch has sent since
// it left awsQuery. Every call is POST
// /service/GraniteServiceVersion20100801/operation/<Op> with
// Smithy-Protocol: rpc-v2-cbor and a CBOR map of PascalCase members;
// timestamps are CBOR tag 1 around epoch seconds. The service keeps the
// awsQueryCompatible trait, so an error's code travels in the
// X-Amzn-Query-Error header as "Code;Sender".

const cwPathPrefix = "/service/GraniteServiceVersion20100801/operation/"

// MetricKey names a metric series the way a MetricStat asks for it.
type MetricKey struct {
	Namespace, Name, Stat string
}

// MetricFunc gives a series' value for the period of length period that
// starts at at, or false when it has no data point there. dims are the
// query's dimensions.
type MetricFunc func(at time.Time, period time.Duration, dims map[string]string) (float64, bool)

// SetMetric scripts a series: GetMetricData answers every period of a
// query's window with fn's values.
func (s *Server) SetMetric(k MetricKey, fn MetricFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metrics[k] = fn
}

type alarm struct {
	name, state, reason string
	updated             time.Time
}

func alarmARN(name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", Region, Account, name)
}

// SetAlarm creates or updates a metric alarm's state (OK, ALARM,
// INSUFFICIENT_DATA) with a reason, as CloudWatch would on evaluation.
func (s *Server) SetAlarm(name, state, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.alarms[name]
	if a == nil {
		a = &alarm{name: name}
		s.alarms[name] = a
	}
	if a.state != state {
		a.updated = s.now()
	}
	a.state, a.reason = state, reason
}

// AlarmARN returns the ARN the fake gives alarm name.
func AlarmARN(name string) string { return alarmARN(name) }

func (s *Server) alarmByARN(arn string) *alarm {
	for _, a := range s.alarms {
		if alarmARN(a.name) == arn {
			return a
		}
	}
	return nil
}

func decodeCloudWatch(r *http.Request, body []byte) (call, *apiError) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, cwPathPrefix) || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
		return call{}, &apiError{status: 404, code: "UnknownOperationException", message: "not an rpcv2Cbor CloudWatch call: " + r.Method + " " + r.URL.Path}
	}
	params := map[string]any{}
	if len(body) > 0 {
		if r.Header.Get("Content-Type") != "application/cbor" {
			return call{}, &apiError{status: 415, code: "UnsupportedMediaTypeException", message: "rpcv2Cbor bodies are application/cbor"}
		}
		v, err := cbor.Decode(body)
		if err != nil {
			return call{}, &apiError{status: 400, code: "SerializationException", message: err.Error()}
		}
		m, ok := fromCBOR(v).(map[string]any)
		if !ok {
			return call{}, &apiError{status: 400, code: "SerializationException", message: "body is not a CBOR map"}
		}
		params = m
	}
	return call{service: "monitoring", op: strings.TrimPrefix(r.URL.Path, cwPathPrefix), params: params}, nil
}

// fromCBOR turns a decoded CBOR value into plain Go values: tag 1 becomes
// time.Time, numbers float64.
func fromCBOR(v cbor.Value) any {
	switch v := v.(type) {
	case cbor.Uint:
		return float64(v)
	case cbor.NegInt:
		return -float64(v)
	case cbor.Float32:
		return float64(v)
	case cbor.Float64:
		return float64(v)
	case cbor.String:
		return string(v)
	case cbor.Bool:
		return bool(v)
	case cbor.Slice:
		return []byte(v)
	case cbor.List:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = fromCBOR(e)
		}
		return out
	case cbor.Map:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = fromCBOR(e)
		}
		return out
	case *cbor.Tag:
		if v.ID == 1 {
			if f, ok := fromCBOR(v.Value).(float64); ok {
				sec, frac := math.Modf(f)
				return time.Unix(int64(sec), int64(frac*1e9)).UTC()
			}
		}
		return fromCBOR(v.Value)
	}
	return nil
}

// toCBOR is fromCBOR's inverse for the values answers hold.
func toCBOR(v any) cbor.Value {
	switch v := v.(type) {
	case nil:
		return &cbor.Nil{}
	case string:
		return cbor.String(v)
	case bool:
		return cbor.Bool(v)
	case int:
		if v < 0 {
			return cbor.NegInt(-v - 1)
		}
		return cbor.Uint(v)
	case float64:
		return cbor.Float64(v)
	case time.Time:
		return &cbor.Tag{ID: 1, Value: cbor.Float64(epoch(v))}
	case []any:
		l := make(cbor.List, len(v))
		for i, e := range v {
			l[i] = toCBOR(e)
		}
		return l
	case map[string]any:
		m := make(cbor.Map, len(v))
		for k, e := range v {
			m[k] = toCBOR(e)
		}
		return m
	}
	panic(fmt.Sprintf("awsfake: no CBOR for %T", v))
}

func writeCBOR(w http.ResponseWriter, out any) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	_, _ = w.Write(cbor.Encode(toCBOR(out)))
}

func writeCBORError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-Query-Error", e.code+";Sender")
	w.WriteHeader(e.status)
	_, _ = io.Writer(w).Write(cbor.Encode(toCBOR(map[string]any{"__type": e.code, "message": e.message})))
}

func (s *Server) cloudWatchCall(c call, now time.Time) (any, *apiError) {
	p := c.params
	switch c.op {
	case "GetMetricData":
		start, _ := p["StartTime"].(time.Time)
		end, _ := p["EndTime"].(time.Time)
		if start.IsZero() || end.IsZero() || !start.Before(end) {
			return nil, errValidation("monitoring", "StartTime must be before EndTime")
		}
		var results []any
		for _, q := range asList(p["MetricDataQueries"]) {
			q := asMap(q)
			ms := asMap(q["MetricStat"])
			if ms == nil {
				return nil, errValidation("monitoring", "query %s: the fake answers MetricStat queries only", str(q["Id"]))
			}
			metric := asMap(ms["Metric"])
			period, _ := ms["Period"].(float64)
			if period < 1 {
				return nil, errValidation("monitoring", "query %s: Period must be at least 1", str(q["Id"]))
			}
			dims := map[string]string{}
			for _, d := range asList(metric["Dimensions"]) {
				d := asMap(d)
				dims[str(d["Name"])] = str(d["Value"])
			}
			fn := s.metrics[MetricKey{Namespace: str(metric["Namespace"]), Name: str(metric["MetricName"]), Stat: str(ms["Stat"])}]
			step := time.Duration(period) * time.Second
			var ts, vals []any
			if fn != nil {
				// Periods aligned to the epoch, as CloudWatch aligns them.
				first := start.Truncate(step)
				if first.Before(start) {
					first = first.Add(step)
				}
				var points []time.Time
				for t := first; t.Before(end) && !t.After(now); t = t.Add(step) {
					points = append(points, t)
				}
				if str(p["ScanBy"]) != "TimestampAscending" {
					sort.Slice(points, func(i, j int) bool { return points[i].After(points[j]) })
				}
				for _, t := range points {
					if v, ok := fn(t, step, dims); ok {
						ts = append(ts, t)
						vals = append(vals, v)
					}
				}
			}
			label := str(q["Label"])
			if label == "" {
				label = str(metric["MetricName"])
			}
			results = append(results, map[string]any{"Id": str(q["Id"]), "Label": label, "StatusCode": "Complete", "Timestamps": orEmpty(ts), "Values": orEmpty(vals)})
		}
		return map[string]any{"MetricDataResults": orEmpty(results), "Messages": []any{}}, nil
	case "DescribeAlarms":
		names := strs(p["AlarmNames"])
		if len(names) == 0 {
			names = sortedKeys(s.alarms)
		}
		var out []any
		for _, n := range names {
			a := s.alarms[n]
			if a == nil {
				continue
			}
			out = append(out, map[string]any{
				"AlarmName": a.name, "AlarmArn": alarmARN(a.name), "StateValue": a.state,
				"StateReason": a.reason, "StateUpdatedTimestamp": a.updated, "StateTransitionedTimestamp": a.updated,
				"Namespace": "AWS/ApplicationELB", "MetricName": "HTTPCode_Target_5XX_Count",
			})
		}
		return map[string]any{"MetricAlarms": orEmpty(out), "CompositeAlarms": []any{}}, nil
	}
	return nil, &apiError{status: 400, code: "UnknownOperationException", message: "awsfake does not implement cloudwatch:" + c.op}
}
