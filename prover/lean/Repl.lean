-- The prover REPL: Lean elaborates requests read from stdin, one JSON object a line,
-- each against a fresh copy of the state after the imports and the request's preamble
-- (elaborated once and kept), and answers one JSON object a line. The verifier writes `import <the theorem's imports>`
-- above this file and runs it as a file (stdin stays free). See docs/trust.md.
--
-- Written for what the embedded runtime can run: named `CommandElabM` code, plain
-- recursion over `List`, `partial` definitions (well-founded ones elaborate slowly).
import Lean.Elab.Frontend
import Lean.Util.FoldConsts
set_option Elab.async false
set_option autoImplicit false
namespace ProverRepl
open Lean Elab Command

/-! Lists by plain recursion: the library's own list helpers are compiled to auxiliary
definitions (`List.reverse._redArg`) that the embedded runtime's oleans do not ship. -/

def revOnto {α : Type} : List α → List α → List α
  | [], acc => acc
  | x :: xs, acc => revOnto xs (x :: acc)

def app {α : Type} (xs ys : List α) : List α := revOnto (revOnto xs []) ys

def len {α : Type} : List α → Nat
  | [] => 0
  | _ :: xs => len xs + 1

/-! The axiom walk: every constant of this file the proof reaches, and the axioms. -/

partial def str : Name → String
  | .anonymous => ""
  | .str p s => (if p.isAnonymous then "" else str p ++ ".") ++ s
  | .num p k => str p ++ "." ++ Nat.repr k

partial def push (a : Array Name) (i : Nat) (acc : List Name) : List Name :=
  if h : i < a.size then push a (i + 1) (a[i] :: acc) else acc

def isCoreAxiom (c : Name) : Bool :=
  c == ``propext || c == ``Classical.choice || c == ``Quot.sound || c == ``sorryAx ||
  c == ``Lean.ofReduceBool || c == ``Lean.ofReduceNat || c == ``Lean.trustCompiler

structure Walk where
  locals : List String := []
  axioms : List String := []
  localAxioms : List String := []
  unknown : List String := []
  cited : List String := []  -- constants forbidden for this theorem that the proof uses

def cite (forbidden : List Name) (c : Name) (w : Walk) : Walk :=
  if forbidden.contains c then { w with cited := str c :: w.cited } else w

partial def walk (env : Environment) (forbidden : List Name) (todo : List Name)
    (seen : List Name) (w : Walk) : Walk :=
  match todo with
  | [] => w
  | c :: rest =>
    if seen.contains c then walk env forbidden rest seen w else
    let w := cite forbidden c w
    match env.getModuleIdxFor? c with
    | some _ =>
      walk env forbidden rest (c :: seen)
        (if isCoreAxiom c then { w with axioms := str c :: w.axioms } else w)
    | none =>
      match env.find? c with
      | some (.axiomInfo _) =>
        walk env forbidden rest (c :: seen) { w with localAxioms := str c :: w.localAxioms }
      | some ci =>
        let next := push ci.type.getUsedConstants 0 rest
        let next := match ci.value? (allowOpaque := true) with
          | some v => push v.getUsedConstants 0 next
          | none => next
        walk env forbidden next (c :: seen) { w with locals := str c :: w.locals }
      | none => walk env forbidden rest (c :: seen) { w with unknown := str c :: w.unknown }

/-- A declaration of this file by its written name (the embedded runtime elaborates a
file as a `module`, where it is private). -/
def findDecl (env : Environment) (n : Name) : Option ConstantInfo :=
  match env.find? n with
  | some ci => some ci
  | none => env.find? (mkPrivateName env n)

/-! JSON out. -/

def arr : List Json → Array Json → Array Json
  | [], a => a
  | x :: xs, a => arr xs (a.push x)

def strs : List String → Array Json → Json
  | [], a => Json.arr a
  | x :: xs, a => strs xs (a.push (Json.str x))

def sev : MessageSeverity → String
  | .error => "error" | .warning => "warning" | .information => "info"

def msgJson (m : Message) : IO Json := do
  let e := m.endPos.getD m.pos
  return Json.mkObj [("severity", Json.str (sev m.severity)), ("line", toJson m.pos.line),
    ("column", toJson m.pos.column), ("end_line", toJson e.line),
    ("end_column", toJson e.column), ("text", Json.str (← m.data.toString))]

partial def msgsJson (ms : List Message) (acc : List Json) : IO (List Json) :=
  match ms with
  | [] => return revOnto acc []
  | m :: rest => do msgsJson rest ((← msgJson m) :: acc)

def hasError : List Message → Bool
  | [] => false
  | m :: ms => m.severity == .error || hasError ms

/-! Parsing: an attempt must be exactly one theorem of the expected name. -/

def inputOf (src : String) : Parser.InputContext :=
  { inputString := src, fileName := "<attempt>", fileMap := FileMap.ofString src }

/-- The commands of `src` as Lean's parser reads them from state `s`, and whether it
found a syntax error. `#exit` or `import` ends the file, as in Lean's frontend. -/
partial def parseAll (ictx : Parser.InputContext) (pmctx : Parser.ParserModuleContext)
    (ps : Parser.ModuleParserState) (msgs : MessageLog) (acc : List Syntax) :
    List Syntax × Bool :=
  let (stx, ps', msgs') := Parser.parseCommand ictx pmctx ps msgs
  if stx.isOfKind ``Parser.Command.eoi then (revOnto acc [], msgs'.hasErrors)
  else if Parser.isTerminalCommand stx then (revOnto (stx :: acc) [], msgs'.hasErrors)
  else parseAll ictx pmctx ps' msgs' (stx :: acc)

def parseCommands (s : Command.State) (src : String) : List Syntax × Bool :=
  let pmctx : Parser.ParserModuleContext := match s.scopes with
    | sc :: _ => { env := s.env, options := sc.opts, currNamespace := sc.currNamespace,
                   openDecls := sc.openDecls }
    | [] => { env := s.env, options := {} }
  parseAll (inputOf src) pmctx {} {} []

/-- Why `cmds` is not exactly one `theorem name ...`: the offending command's kind. -/
def shapeError (cmds : List Syntax) (name : Name) : Option (String × String) :=
  match cmds with
  | [] => some ("empty", "no declaration")
  | [c] =>
    if !c.isOfKind ``Parser.Command.declaration then
      some (str c.getKind, "the attempt is not a declaration")
    else if !c[1].isOfKind ``Parser.Command.theorem then
      some (str c[1].getKind, "the attempt is not a theorem")
    else if c[1][1][0].getId != name then
      some ("name", "the theorem is named " ++ str c[1][1][0].getId ++ ", not " ++ str name)
    else none
  | _ :: c :: _ => some (str c.getKind, "a second command after the theorem")

/-! Elaboration against a copy of the base state. -/

def withHeartbeats (s : Command.State) (hb : Nat) : Command.State :=
  match s.scopes with
  | sc :: rest => { s with scopes := { sc with opts := sc.opts.setNat `maxHeartbeats hb } :: rest }
  | [] => s

def run (base : Command.State) (src : String) : IO Command.State := do
  let s ← IO.processCommands (inputOf src) {} base
  return s.commandState

/-- The type and universe names of `name` elaborated alone from the base state, or
the messages saying why the statement does not elaborate. -/
def reference (base : Command.State) (statement : String) (name : Name) :
    IO (Except (List Message) (Expr × List Name)) := do
  let src := statement ++ " := sorry"
  let s ← run base src
  let msgs := s.messages.toList
  let (cmds, bad) := parseCommands base src
  if bad || (shapeError cmds name).isSome || hasError msgs then return .error msgs
  match findDecl s.env name with
  | some ci => return .ok (ci.type, ci.levelParams)
  | none => return .error msgs

/-- A few statements' references, newest first: a search checks one statement often. -/
abbrev Refs := List (String × Expr × List Name)

def lookup {β : Type} : List (String × β) → String → Option β
  | [], _ => none
  | (k, v) :: rest, key => if k == key then some v else lookup rest key

/-- Base states after a preamble (or its error messages), newest first. -/
abbrev Bases := List (String × Except (List Message) Command.State)

def takeN {α : Type} : Nat → List α → List α
  | 0, _ => []
  | _, [] => []
  | n + 1, x :: xs => x :: takeN n xs

structure Req where
  id : Nat
  kind : String
  name : Name
  statement : String
  proof : String
  preamble : String := ""
  heartbeats : Nat
  forbidden : List Name := []
  state : Option Nat := none  -- a step request: the handle it starts from (none: the root)
  tactics : List String := []
  drop : List Nat := []

def field (j : Json) (k : String) : String := (j.getObjValAs? String k).toOption.getD ""

/-- The array `j.k` read by index (the library's `FromJson (Array _)` is not shipped). -/
partial def items (a : Array Json) (i : Nat) (acc : List Json) : List Json :=
  if h : i < a.size then items a (i + 1) (a[i] :: acc) else revOnto acc []

def itemsOf (j : Json) (k : String) : List Json :=
  match j.getObjValD k with
  | .arr a => items a 0 []
  | _ => []

def strsOf : List Json → List String
  | [] => []
  | .str s :: rest => s :: strsOf rest
  | _ :: rest => strsOf rest

def natsOf : List Json → List Nat
  | [] => []
  | j :: rest => match j.getNat? with
    | .ok n => n :: natsOf rest
    | .error _ => natsOf rest

def namesOf : List String → List Name → List Name
  | [], acc => acc
  | s :: rest, acc => namesOf rest (if s.isEmpty then acc else s.toName :: acc)

def nameOf : List String → Name → Name
  | [], n => n
  | p :: ps, n => nameOf ps (Name.mkStr n p)

/-- The name's components come NUL-separated, «» quotes removed: any component, even one
with spaces or dots, arrives as it is. -/
def parseReq (j : Json) : Req :=
  { id := (j.getObjValAs? Nat "id").toOption.getD 0, kind := field j "kind",
    name := nameOf ((field j "name").splitOn "\x00") .anonymous, statement := field j "statement",
    proof := field j "proof", preamble := field j "preamble",
    heartbeats := (j.getObjValAs? Nat "heartbeats").toOption.getD 200000,
    forbidden := namesOf ((field j "forbidden").splitOn "\n") [],
    state := (j.getObjValAs? Nat "state").toOption, tactics := strsOf (itemsOf j "tactics"),
    drop := natsOf (itemsOf j "drop") }

/-- The statement's reference (cached in `refs`), or the answer saying it does not elaborate. -/
def referenceFor (base : Command.State) (refs : Refs) (r : Req) :
    IO (Except (List (String × Json)) (Expr × List Name) × Refs) := do
  -- NUL cannot occur in a preamble (the verifier refuses it): the key is unambiguous.
  let key := r.preamble ++ "\x00" ++ r.statement
  let found ← match lookup refs key with
    | some v => pure (Except.ok v)
    | none => reference base r.statement r.name
  match found with
  | .error msgs =>
    return (.error [("stage", "statement"), ("messages", Json.arr (arr (← msgsJson msgs []) #[]))], refs)
  | .ok (refType, refLevels) => return (.ok (refType, refLevels), takeN 16 ((key, refType, refLevels) :: refs))

/-- Check one attempt: the statement alone, then the attempt's shape, then Lean's
elaboration of it and the report on the resulting constant. -/
def check (base : Command.State) (refs : Refs) (r : Req) : IO (List (String × Json) × Refs) := do
  let base := withHeartbeats base r.heartbeats
  let (found, refs) ← referenceFor base refs r
  match found with
  | .error fields => return (fields, refs)
  | .ok (refType, refLevels) =>
  let src := r.statement ++ " :=\n" ++ r.proof
  let (cmds, bad) := parseCommands base src
  if !bad then
    if let some (construct, why) := shapeError cmds r.name then
      return ([("stage", "shape"), ("construct", Json.str construct), ("reason", Json.str why)], refs)
  let s ← run base src
  let msgs := s.messages.toList
  let out := [("stage", Json.str "elab"), ("messages", Json.arr (arr (← msgsJson msgs []) #[]))]
  match findDecl s.env r.name with
  | none => return (app out [("kind", Json.str "missing")], refs)
  | some ci =>
    let kind := match ci with | .thmInfo _ => "thm" | _ => "other"
    let same := ci.type == refType && ci.levelParams == refLevels
    let w := walk s.env r.forbidden [ci.name] [] {}
    return (app out [("kind", Json.str kind), ("same_type", toJson same),
      ("locals", strs w.locals #[]), ("axioms", strs w.axioms #[]),
      ("local_axioms", strs w.localAxioms #[]), ("unknown", strs w.unknown #[]),
      ("cited", strs w.cited #[])], refs)

/-- The base state after `preamble`, elaborated once from the imports' state and kept. -/
def baseFor (imports : Command.State) (bases : Bases) (preamble : String) :
    IO (Except (List Message) Command.State × Bases) := do
  if preamble.isEmpty then return (.ok imports, bases)
  match lookup bases preamble with
  | some found => return (found, bases)
  | none =>
    let s ← run imports preamble
    let msgs := s.messages.toList
    let found := if hasError msgs then .error msgs else .ok { s with messages := {} }
    return (found, takeN 8 ((preamble, found) :: bases))

/-! Proof states under handles: one tactic a step, from a state kept after the last.
A state never decides `proved`: the verifier checks a proof that closes every goal again,
whole, with `check`. Written against Lean's monads directly: the library's `run` helpers
compile to `_redArg` definitions this runtime does not ship. -/

/-- A kept proof state: the environment and metavariables the goals live in. -/
structure Handle where
  key : String  -- the preamble and statement it belongs to
  env : Environment
  ngen : NameGenerator
  mctx : MetavarContext
  goals : List MVarId

/-- What a step elaborates under: the base state's scope. -/
structure Scope where
  opts : Options
  ns : Name
  opens : List OpenDecl
  levels : List Name
  heartbeats : Nat
  decl : Name  -- the theorem's full name: `match` and other auxiliary definitions need one

/-- The scope of `theorem name ...` elaborated from `s`: a dotted name's prefix is a
namespace, as for the theorem itself. -/
def scopeOf (s : Command.State) (hb : Nat) (name : Name) : Scope :=
  match s.scopes with
  | sc :: _ =>
    let ns := sc.currNamespace ++ name.getPrefix
    { opts := sc.opts, ns, opens := sc.openDecls, levels := sc.levelNames, heartbeats := hb,
      decl := sc.currNamespace ++ name }
  | [] => { opts := {}, ns := name.getPrefix, opens := [], levels := [], heartbeats := hb,
            decl := name }

/-- `x` run from an environment and metavariable context; what it threw, or its result
and the states it left. -/
def runTerm {α : Type} (c : Scope) (env : Environment) (ngen : NameGenerator)
    (mctx : MetavarContext) (x : Term.TermElabM α) :
    IO (Except Exception (α × Core.State × Meta.State)) := do
  let hb ← IO.getNumHeartbeats
  let cctx : Core.Context :=
    { fileName := "<step>", fileMap := default, options := c.opts, currNamespace := c.ns,
      openDecls := c.opens, initHeartbeats := hb, maxHeartbeats := c.heartbeats * 1000 }
  let cref ← IO.mkRef ({ env, ngen } : Core.State)
  let mref ← IO.mkRef ({ mctx } : Meta.State)
  let tref ← IO.mkRef ({ levelNames := c.levels } : Term.State)
  match ← (x { declName? := some c.decl } tref {} mref cctx cref).toBaseIO with
  | .error e => return .error e
  | .ok a => return .ok (a, ← cref.get, ← mref.get)

/-- How many hypotheses the theorem's binders introduce (`(a b : Nat)` two, `[inst]` one). -/
def binderCount : List Syntax → Nat
  | [] => 0
  | b :: bs =>
    let here := if b.isOfKind ``Parser.Term.explicitBinder || b.isOfKind ``Parser.Term.implicitBinder
        || b.isOfKind ``Parser.Term.strictImplicitBinder then b[1].getNumArgs else 1
    here + binderCount bs

def headerBinders (base : Command.State) (statement : String) : Nat :=
  match (parseCommands base (statement ++ " := sorry")).1 with
  | c :: _ => binderCount c[1][2][0].getArgs.toList
  | [] => 0

/-- The theorem's goal with its binders introduced, as `theorem ... := by` starts. -/
def rootGoal (type : Expr) (n : Nat) : Term.TermElabM (List MVarId) := do
  let g ← Meta.mkFreshExprMVar type .syntheticOpaque
  let (_, g) ← g.mvarId!.introNP n
  return [g]

def runTactic (stx : Syntax) (goals : List MVarId) : Term.TermElabM (List MVarId) := do
  let tref ← IO.mkRef ({ goals } : Tactic.State)
  let t : Tactic.TacticM Unit := do
    Tactic.evalTactic stx
    Tactic.pruneSolvedGoals
  t { elaborator := .anonymous } tref
  Term.synthesizeSyntheticMVarsNoPostponing
  return (← tref.get).goals

partial def goalsText (gs : List MVarId) (acc : List MessageData) : Meta.MetaM String := do
  match gs with
  | [] => (MessageData.joinSep (revOnto acc []) m!"\n\n").toString
  | g :: rest => goalsText rest ((← addMessageContextFull (MessageData.ofGoal g)) :: acc)

def pretty (c : Scope) (h : Handle) : IO String := do
  let pp : Term.TermElabM String := goalsText h.goals []
  match ← runTerm c h.env h.ngen h.mctx pp with
  | .ok (text, _, _) => return text
  | .error e => return "error: " ++ (← e.toMessageData.toString)

/-- `src` with every line after the first two columns in, as in a prefix's `by` block. -/
def indented (src : String) : String := "\n  ".intercalate (src.splitOn "\n")

/-- One tactic from `h`: the state after it, or the error messages. -/
def stepOne (c : Scope) (h : Handle) (src : String) : IO (Except (List Json) Handle) := do
  -- Read as a line of a `by` block, laid out as the verifier writes a prefix: lines split
  -- tactics and `tac1; tac2` is a sequence, exactly as in the whole check.
  match Parser.runParserCategory h.env `term ("by\n  " ++ indented src) "<tactic>" with
  | .error e => return .error [Json.mkObj [("severity", "error"), ("text", Json.str e)]]
  | .ok stx =>
    match ← runTerm c h.env h.ngen h.mctx (runTactic stx[1] h.goals) with
    | .error e =>
      return .error [Json.mkObj [("severity", "error"), ("text", Json.str (← e.toMessageData.toString))]]
    | .ok (goals, cs, ms) =>
      if cs.messages.hasErrors then return .error (← msgsJson cs.messages.toList [])
      return .ok { h with env := cs.env, ngen := cs.ngen, mctx := ms.mctx, goals }

abbrev Handles := List (Nat × Handle)

def dropAll : Handles → List Nat → Handles
  | [], _ => []
  | (i, h) :: rest, ids => if ids.contains i then dropAll rest ids else (i, h) :: dropAll rest ids

def findHandle : Handles → Nat → Option Handle
  | [], _ => none
  | (j, h) :: rest, i => if i == j then some h else findHandle rest i

/-- The tactics applied one by one from `h`, each state kept under a new handle; stops at
the first that fails. -/
partial def stepAll (c : Scope) (h : Handle) (tactics : List String) (next : Nat) (hs : Handles)
    (ids : List Json) : IO (List (String × Json) × Nat × Handles) := do
  match tactics with
  | [] =>
    return ([("stage", "steps"), ("states", Json.arr (arr (revOnto ids []) #[])),
      ("goals", Json.str (← pretty c h)), ("count", toJson (len h.goals))], next, hs)
  | t :: rest =>
    match ← stepOne c h t with
    | .error msgs =>
      return ([("stage", "steps"), ("states", Json.arr (arr (revOnto ids []) #[])),
        ("failed", toJson (len ids)), ("messages", Json.arr (arr msgs #[]))], next, hs)
    | .ok h' =>
      -- At most 1024 kept: the verifier forgets older ones first and says so with `drop`.
      stepAll c h' rest (next + 1) (takeN 1024 ((next, h') :: hs)) (toJson next :: ids)

def missing (what : String) : List (String × Json) :=
  [("stage", "steps"), ("unknown_state", Json.str what)]

/-- A step request: from the handle `r.state`, or from the statement's goal. -/
def steps (base : Command.State) (refs : Refs) (next : Nat) (hs : Handles) (r : Req) :
    IO (List (String × Json) × Refs × Nat × Handles) := do
  let c := scopeOf base r.heartbeats r.name
  let key := r.preamble ++ "\x00" ++ r.statement
  match r.state with
  | some i =>
    match findHandle hs i with
    | some h =>
      if h.key != key then return (missing "the state belongs to another theorem", refs, next, hs)
      let (out, next, hs) ← stepAll c h r.tactics next hs []
      return (out, refs, next, hs)
    | none => return (missing "no such state", refs, next, hs)
  | none =>
    let (found, refs) ← referenceFor (withHeartbeats base r.heartbeats) refs r
    match found with
    | .error fields => return (fields, refs, next, hs)
    | .ok (refType, _) =>
      match ← runTerm c base.env base.ngen {} (rootGoal refType (headerBinders base r.statement)) with
      | .error e =>
        return ([("stage", "statement"), ("messages", Json.arr #[Json.mkObj [("severity", "error"),
          ("text", Json.str (← e.toMessageData.toString))]])], refs, next, hs)
      | .ok (goals, cs, ms) =>
        let root : Handle := { key, env := cs.env, ngen := cs.ngen, mctx := ms.mctx, goals }
        let (out, next, hs) ← stepAll c root r.tactics (next + 1) ((next, root) :: hs) [toJson next]
        return (out, refs, next, hs)

/-! The loop. -/

structure Loop where
  imports : Command.State
  out : IO.FS.Stream
  nonce : String
  refs : Refs := []
  bases : Bases := []
  handles : Handles := []
  next : Nat := 1

def answer (l : Loop) (id : Nat) (fields : List (String × Json)) (t0 : Nat) : IO Unit := do
  let t1 ← IO.monoMsNow
  let j := Json.mkObj (app [("nonce", Json.str l.nonce), ("id", toJson id), ("ms", toJson (t1 - t0))] fields)
  l.out.putStrLn j.compress
  l.out.flush

partial def serve (stdin : IO.FS.Stream) (l : Loop) : CommandElabM Unit := do
  let line ← stdin.getLine
  if line.isEmpty then return
  let t0 ← IO.monoMsNow
  match Json.parse line with
  | .error e => answer l 0 [("error", Json.str s!"not JSON: {e}")] t0; serve stdin l
  | .ok j =>
  let r := parseReq j
  match r.kind with
  | "check" =>
    let (found, bases) ← baseFor l.imports l.bases r.preamble
    match found with
    | .error msgs =>
      answer l r.id [("stage", "preamble"), ("messages", Json.arr (arr (← msgsJson msgs []) #[]))] t0
      serve stdin { l with bases }
    | .ok base =>
      let (fields, refs) ← check base l.refs r
      answer l r.id fields t0
      serve stdin { l with refs, bases }
  | "steps" =>
    let (found, bases) ← baseFor l.imports l.bases r.preamble
    let hs := dropAll l.handles r.drop
    match found with
    | .error msgs =>
      answer l r.id [("stage", "preamble"), ("messages", Json.arr (arr (← msgsJson msgs []) #[]))] t0
      serve stdin { l with bases, handles := hs }
    | .ok base =>
      let (fields, refs, next, handles) ← steps base l.refs l.next hs r
      answer l r.id fields t0
      serve stdin { l with refs, bases, next, handles }
  | k => answer l r.id [("error", Json.str s!"unknown kind {k}")] t0; serve stdin l

def warmUp : List (String × String) :=
  [("theorem prover_warm_up (a b : Nat) (h : a < b) : a + 1 ≤ b", "by omega"),
   ("theorem prover_warm_up (n : Nat) (xs : List Nat) : (xs ++ []).length + n * 1 = xs.length + n",
    "by simp"),
   ("theorem prover_warm_up (p q : Prop) (hp : p) (hq : q) : q ∧ p", "by grind")]

def warmReq (statement proof : String) : Req :=
  { id := 0, kind := "check", name := `prover_warm_up, statement, proof, heartbeats := 200000 }

def main : CommandElabM Unit := do
  let st ← get
  let st : Command.State := { st with messages := {}, infoState := { enabled := false } }
  -- The first elaboration initializes the tactic framework (seconds): done here, before
  -- this process is handed out, so that no attempt waits for it.
  for (stmt, prf) in warmUp do
    let _ ← check st [] (warmReq stmt prf)
  let stdin := IO.FS.Stream.ofHandle (← IO.FS.Handle.mk "/dev/stdin" .read)
  let out := IO.FS.Stream.ofHandle (← IO.FS.Handle.mk "/dev/stdout" .write)
  -- The first line: this process's nonce, which every answer carries.
  let line ← stdin.getLine
  let j := (Json.parse line).toOption.getD Json.null
  let t0 ← IO.monoMsNow
  let l : Loop := { imports := st, out, nonce := field j "nonce" }
  answer l 0 [("ready", true)] t0
  serve stdin l
end ProverRepl

#eval ProverRepl.main
