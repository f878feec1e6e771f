-- The curriculum extractor: walks the theorems of the imported library modules and
-- prints one JSON object a line for each (see prover/curriculum.py, docs/curriculum.md).
-- prover/curriculum.py writes the imports and the benchmark statements above this
-- file and the `config` and `#eval ProverCurriculum.main` below it, and runs it as a
-- file.
--
-- Written for what the embedded runtime can run (as Repl.lean): named `CommandElabM`
-- code and plain recursion; `MetaM` is run by hand (`liftTermElabM` has no code there).
import Lean.Elab.Frontend
set_option autoImplicit false
namespace ProverCurriculum
open Lean Elab Command Meta

structure Config where
  /-- Library modules walked: those under one of these prefixes. -/
  modules : List Name
  /-- Theorems kept: those under one of these namespaces, or of one component. -/
  namespaces : List Name
  root : Bool
  /-- Expression nodes of a statement above which it is not pretty-printed. -/
  maxNodes : Nat
  /-- Instance-implicit binders above which it is not pretty-printed. -/
  maxInst : Nat
  /-- Name components that leave a theorem out (generated, or internal namespaces). -/
  skip : List String
  /-- Theorems (here, the benchmarks) whose statements' keys are printed. -/
  keyed : List Name
  tag : String

/-! Plain recursion over arrays and lists (see Repl.lean for why). -/

partial def revOnto {α : Type} : List α → List α → List α
  | [], acc => acc
  | x :: xs, acc => revOnto xs (x :: acc)

partial def anyPrefix (ps : List Name) (n : Name) : Bool :=
  match ps with
  | [] => false
  | p :: rest => p.isPrefixOf n || anyPrefix rest n

partial def str : Name → String
  | .anonymous => ""
  | .str p s => (if p.isAnonymous then "" else str p ++ ".") ++ s
  | .num p k => str p ++ "." ++ Nat.repr k

partial def filterMap {α β : Type} (f : α → Option β) : List α → List β → List β
  | [], acc => revOnto acc []
  | x :: xs, acc => filterMap f xs (match f x with | some y => y :: acc | none => acc)

/-- `s` without the suffix `suf`, if it ends so. -/
def dropSuffix (s suf : String) : Option String :=
  let (a, b) := (revOnto s.toList [], revOnto suf.toList [])
  let rec go : List Char → List Char → Option (List Char)
    | xs, [] => some xs
    | x :: xs, y :: ys => if x == y then go xs ys else none
    | [], _ :: _ => none
  match go a b with
  | some r => some (String.ofList (revOnto r []))
  | none => none

def strs : List String → Array Json → Json
  | [], a => Json.arr a
  | x :: xs, a => strs xs (a.push (Json.str x))

/-! What a statement is made of. -/

/-- Expression nodes, counted up to `cap`. -/
partial def nodes (e : Expr) (cap : Nat) (acc : Nat) : Nat :=
  if acc ≥ cap then acc else
  match e with
  | .app f a => nodes a cap (nodes f cap (acc + 1))
  | .lam _ t b _ | .forallE _ t b _ => nodes b cap (nodes t cap (acc + 1))
  | .letE _ t v b _ => nodes b cap (nodes v cap (nodes t cap (acc + 1)))
  | .mdata _ b | .proj _ _ b => nodes b cap (acc + 1)
  | _ => acc + 1

/-- Leading binders: all of them, and the instance-implicit ones. -/
partial def binders (e : Expr) (all inst : Nat) : Nat × Nat :=
  match e with
  | .forallE _ _ b bi => binders b (all + 1) (if bi.isInstImplicit then inst + 1 else inst)
  | _ => (all, inst)

partial def canonLevels (i : Nat) : List Name → List Level → List Level
  | [], acc => revOnto acc []
  | _ :: rest, acc => canonLevels (i + 1) rest (.param (Name.mkSimple s!"u_{i}") :: acc)

/-- `e` without metadata (the prelude's binder types carry `borrowed` annotations). -/
partial def noMData (e : Expr) : Expr :=
  match e with
  | .mdata _ b => noMData b
  | .app f a => .app (noMData f) (noMData a)
  | .lam n t b bi => .lam n (noMData t) (noMData b) bi
  | .forallE n t b bi => .forallE n (noMData t) (noMData b) bi
  | .letE n t v b nd => .letE n (noMData t) (noMData v) (noMData b) nd
  | .proj s i b => .proj s i (noMData b)
  | _ => e

/-- A statement's key: its type up to binder names and universe names (`Expr`'s hash
leaves binder names and binder kinds out), and its size against hash collisions. -/
def keyOf (type : Expr) (levels : List Name) : String :=
  let e := (noMData type).instantiateLevelParams levels (canonLevels 1 levels [])
  Nat.repr (hash e).toNat ++ "-" ++ Nat.repr (nodes e 100000 0)

def key (ci : ConstantInfo) : String := keyOf ci.type ci.levelParams

def hasPrefix : List Char → List Char → Bool
  | _, [] => true
  | x :: xs, y :: ys => x == y && hasPrefix xs ys
  | [], _ :: _ => false

/-- Components of generated declarations (`eq_1`, `match_2`, `congr_simp`, ...) and of
the library's internal namespaces (`Nat.Linear`, the arithmetic normalizer's). -/
def skipped (cfg : Config) (s : String) : Bool :=
  cfg.skip.contains s || hasPrefix s.toList "match_".toList ||
    hasPrefix s.toList "proof_".toList || hasPrefix s.toList "congr_eq_".toList ||
    (match s.toList with | 'e' :: 'q' :: '_' :: d :: _ => d.isDigit | _ => false)

partial def anyComponent (p : String → Bool) : Name → Bool
  | .str q s => p s || anyComponent p q
  | .num q _ => anyComponent p q
  | .anonymous => false

/-- An instance (`Nat.instCommutativeHAdd`) is not a lemma to re-prove. -/
def instanceName : Name → Bool
  | .str _ s => hasPrefix s.toList "inst".toList
  | _ => false

def wanted (cfg : Config) (n : Name) : Bool :=
  !n.isInternal && !isPrivateName n && !n.hasNum && !anyComponent (skipped cfg) n &&
    !instanceName n && (anyPrefix cfg.namespaces n || (cfg.root && n.getPrefix.isAnonymous))

/-! `MetaM` by hand. -/

def baseOptions : Options :=
  (((({} : Options).setBool `pp.fullNames true).setBool `pp.proofs true).setBool
    `pp.deepTerms true).setNat `maxHeartbeats 0

/-- Explicit, for a statement whose plain printing does not read back: `List.tail []`
for `[].tail`, `Fin.val a` for `↑a`. -/
def plainOptions : Options :=
  ((baseOptions.setBool `pp.fieldNotation false).setBool `pp.coercions false).setBool
    `pp.fieldNotation.generalized false

def runMeta {α : Type} (opts : Options) (x : MetaM α) : CommandElabM (Except String α) := do
  let ctx : Core.Context :=
    { fileName := "<curriculum>", fileMap := default, maxHeartbeats := 0, options := opts }
  match ← ((x.run' {} {}).run ctx { env := (← getEnv) }).toIO' with
  | .ok (a, _) => return .ok a
  | .error e => return .error (← e.toMessageData.toString)

/-- A proposition (a theorem's type; imported theorems, definitions whose bodies are not
exported and real axioms are all axioms on the exported level). -/
def isStatement (t : Expr) : MetaM Bool := do
  let s ← inferType t
  return s == .sort .zero

def signature (n : Name) : MetaM String := do
  let f ← PrettyPrinter.ppSignature n
  return f.fmt.pretty 1000000

/-- Binder names made accessible (`α✝`, an auto-bound implicit's, does not parse). -/
partial def accessible (depth : Nat) (e : Expr) : Expr :=
  let fix (n : Name) : Name :=
    if n.hasMacroScopes then Name.mkSimple (str n.eraseMacroScopes ++ "_" ++ Nat.repr depth)
    else n
  match e with
  | .forallE n t b bi => .forallE (fix n) (accessible depth t) (accessible (depth + 1) b) bi
  | .lam n t b bi => .lam (fix n) (accessible depth t) (accessible (depth + 1) b) bi
  | .app f a => .app (accessible depth f) (accessible depth a)
  | .mdata d b => .mdata d (accessible depth b)
  | _ => e

partial def joinNames : List Name → String
  | [] => ""
  | [n] => str n
  | n :: rest => str n ++ ", " ++ joinNames rest

/-- `NAME.{u} : ∀ binders, type`: the whole type after the colon, binders renamed. -/
def typeSignature (ci : ConstantInfo) : MetaM String := do
  let f ← PrettyPrinter.ppExpr (accessible 1 ci.type)
  let univs := match ci.levelParams with
    | [] => ""
    | ls => ".{" ++ joinNames ls ++ "}"
  return str ci.name ++ univs ++ " : " ++ f.pretty 1000000

/-! Round trip: the printed statement elaborated again gives the same type. -/

def inputOf (src : String) : Parser.InputContext :=
  { inputString := src, fileName := "<curriculum>", fileMap := FileMap.ofString src }

def findDecl (env : Environment) (n : Name) : Option ConstantInfo :=
  match env.find? n with
  | some ci => some ci
  | none => env.find? (mkPrivateName env n)

def roundTrip (base : Command.State) (sig : String) (ci : ConstantInfo) : IO Bool := do
  let src := "theorem ProverCurriculumCheck." ++ sig ++ " := sorry"
  let s ← IO.processCommands (inputOf src) {} base
  match findDecl s.commandState.env (`ProverCurriculumCheck ++ ci.name) with
  | none => return false
  | some ci' => return noMData ci'.type == noMData ci.type

/-- The first printing that reads back as the same type, and how it was printed:
`signature`, `plain` (explicit names, no coercion arrows) or `type` (binders renamed);
else the printings tried (or why printing failed). -/
def printed (base : Command.State) (ci : ConstantInfo) :
    CommandElabM (Except (List String) (String × String)) := do
  let tries : List (String × Options × MetaM String) :=
    [("signature", baseOptions, signature ci.name), ("plain", plainOptions, signature ci.name),
     ("type", plainOptions, typeSignature ci)]
  let rec go (tried : List String) :
      List (String × Options × MetaM String) → CommandElabM (Except (List String) (String × String))
    | [] => return .error tried
    | (how, opts, pp) :: rest => do
      match ← runMeta opts pp with
      | .ok sig => if ← roundTrip base sig ci then return .ok (how, sig) else go (sig :: tried) rest
      | .error e => go (e :: tried) rest
  go [] tries

/-! Instances of `Prop`-valued classes state library theorems again: `ac_rfl` proves
`a + b = b + a` through `Std.Commutative`'s instance for `+` on `Nat` without naming
`Nat.add_comm`. Each field of such an instance, as a statement, gets a key; a theorem
with that key forbids the instance. -/

def propClass (env : Environment) (c : Name) : Bool :=
  match env.find? c with
  | some (.inductInfo v) => isClass env c && v.type.getForallBody == .sort .zero
  | _ => false

partial def appArgs (e : Expr) (acc : List Expr) : Expr × List Expr :=
  match e with
  | .app f a => appArgs f (a :: acc)
  | _ => (e, acc)

/-- `e` with every beta-redex reduced. -/
partial def beta (e : Expr) : Expr :=
  match e with
  | .app f a =>
    match beta f with
    | .lam _ _ b _ => beta (b.instantiate1 (beta a))
    | f' => .app f' (beta a)
  | .lam n t b bi => .lam n (beta t) (beta b) bi
  | .forallE n t b bi => .forallE n (beta t) (beta b) bi
  | .mdata _ b => beta b
  | _ => e

partial def instantiatePis (e : Expr) : List Expr → Option Expr
  | [] => some e
  | a :: rest =>
    match e with
    | .forallE _ _ b _ => instantiatePis (b.instantiate1 a) rest
    | _ => none

/-- The keys of the fields of an instance without binders of a `Prop`-valued class, as
statements: `∀ a b : Nat, a + b = b + a` for `Std.Commutative`'s `comm` on `+`. -/
def fieldKeys (env : Environment) (ci : ConstantInfo) : List String :=
  match appArgs ci.type [] with
  | (.const cls lvls, args) =>
    if !propClass env cls || !isStructure env cls then [] else
    let inst := Expr.const ci.name (filterMap (fun l => some (Level.param l)) ci.levelParams [])
    filterMap (fun f =>
      match env.find? (cls ++ f) with
      | some proj =>
        match instantiatePis (proj.instantiateTypeLevelParams lvls) (revOnto (revOnto args []) [inst]) with
        | some t => some (keyOf (beta t) ci.levelParams)
        | none => none
      | none => none) (getStructureFields env cls).toList []
  | _ => []

/-! The walk. -/

structure Out where
  out : IO.FS.Stream
  tag : String

def emit (o : Out) (fields : List (String × Json)) : IO Unit :=
  o.out.putStrLn (o.tag ++ (Json.mkObj fields).compress)

/-- The twins of a name that exist: `foo_iff`, `foo_eq`, `foo'` of `foo`, `foo` of each
of those, and the `foo._simp_k` that `simp` made of `foo` (a proof by `simp` cites those). -/
def twins (env : Environment) (n : Name) : List String :=
  let cands := match n with
    | .str p s => revOnto [Name.mkStr p (s ++ "'"), Name.mkStr p (s ++ "_iff"),
        Name.mkStr p (s ++ "_eq"), Name.mkStr n "_simp_1", Name.mkStr n "_simp_2",
        Name.mkStr n "_simp_3"]
        (filterMap (fun suf => match dropSuffix s suf with
          | some b => some (Name.mkStr p b) | none => none) ["_eq", "_iff", "'"] [])
    | _ => []
  filterMap (fun c => if c != n && env.contains c then some (str c) else none) cands []

def axiomNames : List Name :=
  [``propext, ``Quot.sound, ``Classical.choice, ``sorryAx, ``Lean.ofReduceBool,
   ``Lean.ofReduceNat, ``Lean.trustCompiler]

/-- What a candidate's line says beyond its name and key. -/
def details (cfg : Config) (base : Command.State) (m : Name) (ci : ConstantInfo) :
    CommandElabM (List (String × Json)) := do
  let env ← getEnv
  let size := nodes ci.type (cfg.maxNodes + 1) 0
  let (all, inst) := binders ci.type 0 0
  let deprecated := Linter.isDeprecated env ci.name
  let fields : List (String × Json) := [("module", str m), ("nodes", toJson size),
    ("binders", toJson all), ("inst", toJson inst), ("deprecated", toJson deprecated),
    ("levels", strs (filterMap (fun l => some (str l)) ci.levelParams []) #[]),
    ("twins", strs (twins env ci.name) #[])]
  if size > cfg.maxNodes || inst > cfg.maxInst || deprecated then return fields
  match ← printed base ci with
  | .error tried => return revOnto (revOnto fields []) [("tried", strs tried #[])]
  | .ok (how, sig) =>
    return revOnto (revOnto fields []) [("signature", Json.str sig), ("printed", Json.str how)]

/-- A theorem (on the exported level, imported theorems are axioms): its name and key,
and for a candidate the details. -/
def theoremLine (cfg : Config) (o : Out) (base : Command.State) (m : Name) (ci : ConstantInfo) :
    CommandElabM Unit := do
  if axiomNames.contains ci.name then return
  let head := [("name", Json.str (str ci.name)), ("key", Json.str (key ci))]
  -- Every theorem's key (a statement stated twice forbids both names); a non-`Prop`
  -- constant's key never equals a statement's.
  if !wanted cfg ci.name then
    emit o head
    return
  match ← runMeta baseOptions (isStatement ci.type) with
  | .ok true =>
    emit o (revOnto (revOnto head []) (← details cfg base m ci))
  | _ => pure ()

def instanceLine (o : Out) (ci : ConstantInfo) : CommandElabM Unit := do
  let env ← getEnv
  if !isInstanceCore env ci.name then return
  match fieldKeys env ci with
  | [] => pure ()
  | keys => emit o [("instance", str ci.name), ("keys", strs keys #[])]

partial def walkConsts (cfg : Config) (o : Out) (base : Command.State) (m : Name)
    (cs : Array ConstantInfo) (i : Nat) : CommandElabM Unit := do
  if h : i < cs.size then
    let ci := cs[i]
    match ci with
    | .thmInfo _ | .axiomInfo _ => theoremLine cfg o base m ci
    | _ => pure ()
    instanceLine o ci
    walkConsts cfg o base m cs (i + 1)

partial def walkModules (cfg : Config) (o : Out) (base : Command.State) (i : Nat) :
    CommandElabM Unit := do
  let env ← getEnv
  let mods := env.header.moduleNames
  if h : i < mods.size then
    if anyPrefix cfg.modules mods[i] then
      match env.header.moduleData[i]? with
      | some d => walkConsts cfg o base mods[i] d.constants 0
      | none => pure ()
    walkModules cfg o base (i + 1)

partial def keyLines (o : Out) (env : Environment) : List Name → IO Unit
  | [] => pure ()
  | n :: rest => do
    match findDecl env n with
    | some ci => emit o [("keyed", str n), ("key", key ci)]
    | none => emit o [("keyed", str n), ("missing", true)]
    keyLines o env rest

def run (cfg : Config) : CommandElabM Unit := do
  let out := IO.FS.Stream.ofHandle (← IO.FS.Handle.mk "/dev/stdout" .write)
  let o : Out := { out, tag := cfg.tag }
  let st ← get
  let base : Command.State := { st with messages := {}, infoState := { enabled := false } }
  keyLines o st.env cfg.keyed
  walkModules cfg o base 0
  emit o [("done", true)]
  out.flush

end ProverCurriculum
