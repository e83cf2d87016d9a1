package awsfake

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// RDS: awsQuery. Every call is POST / with a form body
// (Action=…&Version=2014-10-31&…); answers are XML wrapped in
// <OpResponse><OpResult>, errors in <ErrorResponse><Error>.

const rdsVersion = "2014-10-31"
const rdsNS = "http://rds.amazonaws.com/doc/2014-10-31/"

type dbCluster struct {
	id, arn    string
	members    []string
	writer     string
	status     string
	failoverAt time.Time // zero unless failing over
	nextWriter string
}

type dbInstance struct {
	id, arn     string
	cluster     string
	multiAZ     bool
	az, az2     string
	status      string
	rebootAt    time.Time
	withFailovr bool
}

// DBClusterSpec describes an Aurora cluster to add: its instances, the
// first of which is the writer.
type DBClusterSpec struct {
	ID        string
	Instances []string
}

// AddDBCluster adds an available Aurora cluster and its instances.
func (s *Server) AddDBCluster(spec DBClusterSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &dbCluster{id: spec.ID, arn: fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", Region, Account, spec.ID), members: spec.Instances, status: "available"}
	if len(spec.Instances) > 0 {
		c.writer = spec.Instances[0]
	}
	s.dbClusters[spec.ID] = c
	for i, id := range spec.Instances {
		s.dbInstances[id] = &dbInstance{id: id, arn: fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", Region, Account, id), cluster: spec.ID, status: "available", az: fmt.Sprintf("%s%c", Region, 'a'+i%3)}
	}
}

// AddDBInstance adds an available stand-alone instance; a Multi-AZ one can
// reboot with failover.
func (s *Server) AddDBInstance(id string, multiAZ bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dbInstances[id] = &dbInstance{id: id, arn: fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", Region, Account, id), multiAZ: multiAZ, status: "available", az: Region + "a", az2: Region + "b"}
}

// DBClusterState is an RDS cluster as DescribeDBClusters reports it now.
type DBClusterState struct {
	Status, Writer string
}

// DBCluster returns the cluster's state now.
func (s *Server) DBCluster(id string) (DBClusterState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	c := s.dbClusters[id]
	if c == nil {
		return DBClusterState{}, false
	}
	return DBClusterState{Status: c.status, Writer: c.writer}, true
}

// DBInstanceState is an instance's status and availability zone now.
func (s *Server) DBInstanceState(id string) (status, az string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(s.now())
	i := s.dbInstances[id]
	if i == nil {
		return "", "", false
	}
	return i.status, i.az, true
}

func (s *Server) startFailover(c *dbCluster, target string, when time.Time) {
	if c.status != "available" {
		return
	}
	if target == "" {
		for _, m := range c.members {
			if m != c.writer {
				target = m
				break
			}
		}
	}
	c.status, c.failoverAt, c.nextWriter = "failing-over", when, target
}

func (s *Server) advanceDBCluster(c *dbCluster, now time.Time) {
	if c.failoverAt.IsZero() || now.Before(c.failoverAt.Add(s.timings.Failover)) {
		return
	}
	if c.nextWriter != "" {
		c.writer = c.nextWriter
	}
	c.status, c.failoverAt, c.nextWriter = "available", time.Time{}, ""
}

func advanceDBInstance(i *dbInstance, now time.Time) {
	if i.rebootAt.IsZero() || now.Before(i.rebootAt) {
		return
	}
	if i.withFailovr {
		i.az, i.az2 = i.az2, i.az
	}
	i.status, i.rebootAt, i.withFailovr = "available", time.Time{}, false
}

func decodeRDS(r *http.Request, body []byte) (call, *apiError) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		return call{}, &apiError{status: 400, code: "InvalidAction", message: "awsQuery calls are form POSTs"}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return call{}, &apiError{status: 400, code: "MalformedQueryString", message: err.Error()}
	}
	if form.Get("Version") != rdsVersion {
		return call{}, &apiError{status: 400, code: "InvalidParameterValue", message: "Version must be " + rdsVersion}
	}
	params := map[string]any{}
	for k, v := range form {
		if k != "Action" && k != "Version" {
			params[k] = v[0]
		}
	}
	return call{service: "rds", op: form.Get("Action"), params: params}, nil
}

// xmlNode is an element of an answer: text or children.
type xmlNode struct {
	name     string
	text     string
	children []xmlNode
}

func leaf(name, text string) xmlNode         { return xmlNode{name: name, text: text} }
func elem(name string, c ...xmlNode) xmlNode { return xmlNode{name: name, children: c} }

func (n xmlNode) write(w io.Writer) {
	fmt.Fprintf(w, "<%s>", n.name)
	if n.children == nil {
		_ = xml.EscapeText(w, []byte(n.text))
	}
	for _, c := range n.children {
		c.write(w)
	}
	fmt.Fprintf(w, "</%s>", n.name)
}

func writeQueryResult(w io.Writer, op string, result xmlNode) {
	fmt.Fprintf(w, `<%sResponse xmlns="%s">`, op, rdsNS)
	result.write(w)
	fmt.Fprintf(w, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", "7f0c3e4a-0000-4000-8000-000000000000", op)
}

func writeQueryError(w io.Writer, e *apiError) {
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s">`, rdsNS)
	elem("Error", leaf("Type", typ), leaf("Code", e.code), leaf("Message", e.message)).write(w)
	fmt.Fprint(w, "<RequestId>7f0c3e4a-0000-4000-8000-000000000001</RequestId></ErrorResponse>")
}

func (c *dbCluster) xml() xmlNode {
	members := elem("DBClusterMembers")
	members.children = []xmlNode{}
	for _, m := range c.members {
		members.children = append(members.children, elem("DBClusterMember",
			leaf("DBInstanceIdentifier", m), leaf("IsClusterWriter", strconv.FormatBool(m == c.writer)), leaf("PromotionTier", "1")))
	}
	return elem("DBCluster",
		leaf("DBClusterIdentifier", c.id), leaf("DBClusterArn", c.arn), leaf("Status", c.status),
		leaf("Engine", "aurora-postgresql"), leaf("MultiAZ", "true"),
		leaf("Endpoint", c.id+".cluster-abcdefghijkl."+Region+".rds.amazonaws.com"),
		members)
}

func (i *dbInstance) xml() xmlNode {
	n := elem("DBInstance",
		leaf("DBInstanceIdentifier", i.id), leaf("DBInstanceArn", i.arn), leaf("DBInstanceStatus", i.status),
		leaf("MultiAZ", strconv.FormatBool(i.multiAZ)), leaf("AvailabilityZone", i.az))
	if i.cluster != "" {
		n.children = append(n.children, leaf("DBClusterIdentifier", i.cluster))
	}
	if i.az2 != "" {
		n.children = append(n.children, leaf("SecondaryAvailabilityZone", i.az2))
	}
	return n
}

func (s *Server) rdsCall(c call, now time.Time) (any, *apiError) {
	p := c.params
	clusterOf := func() (*dbCluster, *apiError) {
		cl := s.dbClusters[str(p["DBClusterIdentifier"])]
		if cl == nil {
			return nil, &apiError{status: 404, code: "DBClusterNotFoundFault", message: fmt.Sprintf("DBCluster %s not found.", str(p["DBClusterIdentifier"]))}
		}
		return cl, nil
	}
	instanceOf := func() (*dbInstance, *apiError) {
		in := s.dbInstances[str(p["DBInstanceIdentifier"])]
		if in == nil {
			return nil, &apiError{status: 404, code: "DBInstanceNotFound", message: fmt.Sprintf("DBInstance %s not found.", str(p["DBInstanceIdentifier"]))}
		}
		return in, nil
	}
	switch c.op {
	case "FailoverDBCluster":
		cl, err := clusterOf()
		if err != nil {
			return nil, err
		}
		if cl.status != "available" {
			return nil, &apiError{status: 400, code: "InvalidDBClusterStateFault", message: fmt.Sprintf("DBCluster %s is in %s state.", cl.id, cl.status)}
		}
		target := str(p["TargetDBInstanceIdentifier"])
		if target != "" && (target == cl.writer || !contains(cl.members, target)) {
			return nil, &apiError{status: 400, code: "InvalidDBInstanceState", message: fmt.Sprintf("%s is not a reader of DBCluster %s.", target, cl.id)}
		}
		if len(cl.members) < 2 {
			return nil, &apiError{status: 400, code: "InvalidDBClusterStateFault", message: fmt.Sprintf("DBCluster %s has no reader to fail over to.", cl.id)}
		}
		s.startFailover(cl, target, now)
		return elem("FailoverDBClusterResult", cl.xml()), nil
	case "DescribeDBClusters":
		res := elem("DBClusters")
		res.children = []xmlNode{}
		if str(p["DBClusterIdentifier"]) != "" {
			cl, err := clusterOf()
			if err != nil {
				return nil, err
			}
			res.children = append(res.children, cl.xml())
		} else {
			for _, id := range sortedKeys(s.dbClusters) {
				res.children = append(res.children, s.dbClusters[id].xml())
			}
		}
		return elem("DescribeDBClustersResult", res), nil
	case "RebootDBInstance":
		in, err := instanceOf()
		if err != nil {
			return nil, err
		}
		if in.status != "available" {
			return nil, &apiError{status: 400, code: "InvalidDBInstanceState", message: fmt.Sprintf("DBInstance %s is not in available state.", in.id)}
		}
		failover := str(p["ForceFailover"]) == "true"
		if failover && !in.multiAZ {
			return nil, &apiError{status: 400, code: "InvalidParameterCombination", message: "ForceFailover requires a Multi-AZ DB instance."}
		}
		in.status, in.rebootAt, in.withFailovr = "rebooting", now.Add(s.timings.Reboot), failover
		return elem("RebootDBInstanceResult", in.xml()), nil
	case "DescribeDBInstances":
		res := elem("DBInstances")
		res.children = []xmlNode{}
		if str(p["DBInstanceIdentifier"]) != "" {
			in, err := instanceOf()
			if err != nil {
				return nil, err
			}
			res.children = append(res.children, in.xml())
		} else {
			for _, id := range sortedKeys(s.dbInstances) {
				res.children = append(res.children, s.dbInstances[id].xml())
			}
		}
		return elem("DescribeDBInstancesResult", res), nil
	}
	return nil, &apiError{status: 400, code: "InvalidAction", message: "awsfake does not implement rds:" + c.op}
}
