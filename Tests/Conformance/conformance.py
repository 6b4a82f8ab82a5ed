"""Drive the official LM Studio Python SDK against the Swift mock server.

Two modes:

  conformance.py drive --host H:P --token-host H:P2 --token T --results FILE
      runs the SDK scenarios and writes their outcomes to FILE (JSON);
  conformance.py validate --schema lms.json --record REC [--record REC2] --results FILE
      validates every recorded client message against the official schema, adds those
      checks to FILE, and prints the closing "N passed, M failed" line;
  conformance.py actwire --record REC (--write FILE | --compare FILE)
      extracts the act() scenario's wire sequence from a record (the predict channels whose
      history starts with ACT_PROMPT, and what the client sent on them), with call ids replaced
      by their order of appearance, and writes it or compares it with FILE (the fixture that
      the Swift test ActWireTests also compares lmstudio-swift's act() against).
"""

import argparse
import asyncio
import json
import os
import sys
import threading
import traceback
import urllib.request

MODEL = "qwen2.5-0.5b-instruct"
EMBEDDING = "text-embedding-nomic-embed-text-v1.5"
UNLOADED = "llama-3.2-1b-instruct"
DEFAULT_REPLY = "Hello! I am a mock LM Studio model."
SLOW_PROMPT = "Tell me a long story"
ACT_PROMPT = "What is 2 + 3?"

results = []  # (name, passed, detail)


def record(name, passed, detail=""):
    results.append({"name": name, "passed": bool(passed), "detail": detail})
    mark = "PASS" if passed else "FAIL"
    print(f"[{mark}] {name}" + (f": {detail}" if detail and not passed else ""), flush=True)


def skip(name, reason):
    results.append({"name": name, "passed": None, "detail": reason})
    print(f"[SKIP] {name}: {reason}", flush=True)


def run(name, body):
    try:
        outcome = body()
        if asyncio.iscoroutine(outcome):
            outcome = asyncio.run(outcome)
        if outcome is None or outcome is True:
            record(name, True)
        else:
            record(name, False, str(outcome))
    except AssertionError as error:
        record(name, False, f"assertion failed: {error}")
    except Exception as error:  # noqa: BLE001 - a failing scenario must not stop the others
        record(name, False, f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}")


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


# ----------------------------------------------------------------------------------------------
# Scenarios


def drive(args):
    import lmstudio as lms

    version = lms.__version__
    print(f"lmstudio {version} against {args.host} (token server {args.token_host})", flush=True)
    supports_token = "api_token" in lms.Client.__init__.__code__.co_varnames

    def greeting():
        with urllib.request.urlopen(f"http://{args.host}/lmstudio-greeting", timeout=5) as reply:
            expect(reply.status == 200, f"status {reply.status}")
            expect(json.loads(reply.read()) == {"lmstudio": True}, "body")

    run("greeting endpoint answers {\"lmstudio\":true}", greeting)

    client = lms.Client(args.host)

    def list_loaded():
        llms = [m.identifier for m in client.llm.list_loaded()]
        embeddings = [m.identifier for m in client.embedding.list_loaded()]
        expect(llms == [MODEL], f"llm.list_loaded: {llms}")
        expect(embeddings == [EMBEDDING], f"embedding.list_loaded: {embeddings}")

    run("list loaded models (llm and embedding)", list_loaded)

    def list_downloaded():
        everything = client.list_downloaded_models()
        keys = sorted(m.model_key for m in everything)
        expect(keys == sorted([MODEL, EMBEDDING, UNLOADED]), f"keys {keys}")
        expect([m.model_key for m in client.llm.list_downloaded()].count(UNLOADED) == 1, "llm filter")
        expect([m.model_key for m in client.embedding.list_downloaded()] == [EMBEDDING], "embedding filter")

    run("list downloaded models", list_downloaded)

    def load_and_unload():
        progress = []
        model = client.llm.load_new_instance(UNLOADED, on_load_progress=progress.append)
        expect(model.identifier == UNLOADED, f"identifier {model.identifier}")
        expect(progress and progress[-1] == 1.0, f"progress {progress}")
        expect(all(a < b for a, b in zip(progress, progress[1:])), f"progress not increasing {progress}")
        expect(UNLOADED in [m.identifier for m in client.llm.list_loaded()], "not listed after load")
        model.unload()
        expect(UNLOADED not in [m.identifier for m in client.llm.list_loaded()], "still listed after unload")

    run("load a model with progress, then unload it", load_and_unload)

    def get_or_load():
        model = client.llm.model(MODEL)
        expect(model.identifier == MODEL, f"identifier {model.identifier}")
        loaded = client.llm.model(UNLOADED, config={"contextLength": 8192})
        expect(loaded.identifier == UNLOADED, f"identifier {loaded.identifier}")
        expect(loaded.get_context_length() == 8192, f"context {loaded.get_context_length()}")
        client.llm.unload(UNLOADED)
        any_model = client.llm.model()
        expect(any_model.identifier == MODEL, f"model() without key: {any_model.identifier}")

    run("model() gets a loaded model or loads it", get_or_load)

    llm = client.llm.model(MODEL)

    def model_info():
        info = llm.get_info()
        expect(info.identifier == MODEL and info.model_key == MODEL, f"info {info}")
        expect(info.trained_for_tool_use is True, "trainedForToolUse")
        expect(llm.get_context_length() == 4096, f"context {llm.get_context_length()}")
        config = llm.get_load_config()
        expect(getattr(config, "context_length", None) == 4096, f"load config {config}")

    run("model info, context length and load config", model_info)

    def respond():
        result = llm.respond("Hello there")
        expect(result.content == DEFAULT_REPLY, f"content {result.content!r}")
        expect(result.stats.stop_reason == "eosFound", f"stop {result.stats.stop_reason}")
        expect(result.stats.predicted_tokens_count == 8, f"tokens {result.stats.predicted_tokens_count}")
        expect(result.model_info.model_key == MODEL, "model info")

    run("respond()", respond)

    def respond_stream():
        first_tokens, fragments, progress, messages = [], [], [], []
        chat = lms.Chat("You are terse.")
        chat.add_user_message("Say hello")
        stream = llm.respond_stream(
            chat,
            config={"temperature": 0.2},
            on_first_token=lambda: first_tokens.append(1),
            on_prediction_fragment=fragments.append,
            on_prompt_processing_progress=progress.append,
            on_message=messages.append,
        )
        streamed = "".join(fragment.content for fragment in stream)
        result = stream.result()
        expect(streamed == DEFAULT_REPLY == result.content, f"streamed {streamed!r}")
        expect(len(first_tokens) == 1, f"first token callbacks {len(first_tokens)}")
        expect("".join(f.content for f in fragments) == DEFAULT_REPLY, "fragment callback")
        expect(progress and progress[0] == 0.0 and progress[-1] == 1.0, f"progress {progress}")
        expect(len(messages) == 1, f"on_message {messages}")
        expect(result.prediction_config.temperature == 0.2, f"config {result.prediction_config}")

    run("respond_stream() with callbacks", respond_stream)

    def complete():
        result = llm.complete("Once upon a time", config={"maxTokens": 3})
        expect(result.content == "Hello! I am", f"content {result.content!r}")
        expect(result.stats.stop_reason == "maxPredictedTokensReached", f"stop {result.stats.stop_reason}")

    run("complete() with max tokens", complete)

    def stop_strings():
        result = llm.respond("Hi", config={"stopStrings": ["mock"]})
        expect(result.content == "Hello! I am a ", f"content {result.content!r}")
        expect(result.stats.stop_reason == "stopStringFound", f"stop {result.stats.stop_reason}")

    run("stop strings are honoured", stop_strings)

    def structured():
        schema = {
            "type": "object",
            "properties": {"name": {"type": "string"}, "count": {"type": "integer", "minimum": 1}},
            "required": ["name", "count"],
        }
        result = llm.respond("Give me a thing", response_format=schema)
        expect(result.parsed == {"name": "", "count": 1}, f"parsed {result.parsed!r}")

    run("structured response satisfies the schema", structured)

    def act():
        calls = []

        def add(a: int, b: int) -> int:
            """Add two integers."""
            calls.append((a, b))
            return a + b

        rounds = []
        outcome = llm.act(ACT_PROMPT, [add], on_round_end=rounds.append, on_message=lambda m: None)
        expect(outcome.rounds == 2, f"rounds {outcome.rounds}")
        expect(calls == [(0, 0)], f"tool calls {calls}")
        expect(rounds == [0, 1], f"round callbacks {rounds}")

    run("act() with a tool: two rounds", act)

    def tokenize():
        tokens = llm.tokenize("Hello, world!")
        expect(isinstance(tokens, list) and len(tokens) == 4, f"tokens {tokens}")
        expect(all(isinstance(t, int) for t in tokens), "token types")
        expect(llm.count_tokens("Hello, world!") == 4, "count")

    run("tokenize and count tokens", tokenize)

    def prompt_template():
        formatted = llm.apply_prompt_template(lms.Chat.from_history("Hi"))
        expect(formatted == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", repr(formatted))

    run("apply prompt template", prompt_template)

    def embed():
        model = client.embedding.model(EMBEDDING)
        vector = model.embed("hello")
        expect(len(vector) == 8, f"dimension {len(vector)}")
        expect(abs(sum(v * v for v in vector) - 1) < 1e-6, "unit length")
        batch = model.embed(["hello", "world"])
        expect(batch[0] == vector and batch[1] != vector, "batch")
        expect(model.count_tokens("hello world") == 2, "embedding count tokens")

    run("embeddings are deterministic", embed)

    maps_path_not_found = "generic.pathNotFound" in open(lms.json_api.__file__).read()

    def model_not_found():
        attempts = [
            ("generic.pathNotFound", lambda: client.llm.model("no-such-model")),
            ("generic.pathNotFound", lambda: client.llm.load_new_instance("no-such-model")),
            ("generic.pathNotFound", lambda: client.embedding.model("no-such-model")),
            ("generic.noModelMatchingQuery", lambda: stale.respond("Hi")),
            ("generic.noModelMatchingQuery", lambda: stale.get_info()),
        ]
        stale = client.llm.load_new_instance(UNLOADED, "stale-instance")
        client.llm.unload("stale-instance")
        for code, attempt in attempts:
            try:
                attempt()
            except lms.LMStudioModelNotFoundError as error:
                expect(code in str(error), f"{code} not in {error}")
                continue
            except lms.LMStudioServerError as error:
                # SDKs before 1.6 map only generic.noModelMatchingQuery to the specific class.
                expect(code == "generic.pathNotFound" and not maps_path_not_found, f"unmapped {code}: {error}")
                expect(code in str(error), f"{code} not in {error}")
                continue
            raise AssertionError(f"no error for {code}")

    run("unknown models map to LMStudioModelNotFoundError", model_not_found)

    def preset_not_found():
        try:
            llm.respond("Hi", preset="no-such-preset")
        except lms.LMStudioPresetNotFoundError as error:
            expect("generic.presetNotFound" in str(error), str(error))
            return
        raise AssertionError("no LMStudioPresetNotFoundError")

    run("an unknown preset maps to LMStudioPresetNotFoundError", preset_not_found)

    def image_upload():
        png = bytes.fromhex("89504e470d0a1a0a0000000d49484452")
        handle = client.files.prepare_image(png, name="pixel.png")
        expect(handle.name == "pixel.png" and handle.size_bytes == len(png), f"handle {handle}")
        chat = lms.Chat()
        chat.add_user_message("Describe", images=[handle])
        expect(llm.respond(chat).content == DEFAULT_REPLY, "respond with image")

    run("files: prepare_image and chat with an image", image_upload)

    def async_client():
        async def body():
            async with lms.AsyncClient(args.host) as aclient:
                model = await aclient.llm.model(MODEL)
                result = await model.respond("Hi")
                expect(result.content == DEFAULT_REPLY, f"content {result.content!r}")
                stream = await model.respond_stream("Hi")
                parts = [fragment.content async for fragment in stream]
                expect("".join(parts) == DEFAULT_REPLY, "async stream")
                loaded = await aclient.llm.list_loaded()
                expect([m.identifier for m in loaded] == [MODEL], "async list_loaded")
                embedder = await aclient.embedding.model(EMBEDDING)
                expect(len(await embedder.embed("x")) == 8, "async embed")
                expect(await model.count_tokens("a b c") == 3, "async count_tokens")

        asyncio.run(body())

    run("async client: model, respond, respond_stream, embed", async_client)

    def cancellation():
        # The mock paces this prompt (--prompt-interval-ms), so the cancel arrives mid-stream.
        stream = llm.respond_stream(SLOW_PROMPT)
        count = 0
        for _ in stream:
            count += 1
            if count == 3:
                stream.cancel()
        result = stream.result()
        expect(result.stats.stop_reason == "userStopped", f"stop {result.stats.stop_reason}")
        expect(count == 3, f"fragments after cancel were delivered ({count})")
        expect(result.content == "Hello! I am", f"content {result.content!r}")

    run("cancelling a prediction ends it with userStopped", cancellation)
    client.close()

    token = args.token

    if supports_token:
        def token_argument():
            with lms.Client(args.token_host, api_token=token) as token_client:
                expect([m.identifier for m in token_client.llm.list_loaded()] == [MODEL], "list_loaded")
                expect(token_client.llm.model(MODEL).respond("Hi").content == DEFAULT_REPLY, "respond")

        run("API token from the argument is accepted", token_argument)

        def token_environment():
            os.environ["LMSTUDIO_API_TOKEN"] = token
            try:
                with lms.Client(args.token_host) as token_client:
                    expect(len(token_client.list_downloaded_models()) == 3, "list downloaded")
            finally:
                del os.environ["LMSTUDIO_API_TOKEN"]

        run("API token from LMSTUDIO_API_TOKEN is accepted", token_environment)

        def wrong_token():
            with lms.Client(args.token_host, api_token="sk-lm-abcDEF78:wrongwrongwrongwrong") as bad:
                try:
                    bad.llm.list_loaded()
                except lms.LMStudioServerError as error:
                    expect("Authentication failed" in str(error), str(error))
                    return
            raise AssertionError("wrong token accepted")

        run("a wrong API token is rejected", wrong_token)
    else:
        skip("API token from the argument is accepted", f"lmstudio {version} has no api_token")
        skip("API token from LMSTUDIO_API_TOKEN is accepted", f"lmstudio {version} has no api_token")

    def guest_rejected():
        os.environ.pop("LMSTUDIO_API_TOKEN", None)
        try:
            with lms.Client(args.token_host) as guest:
                guest.llm.list_loaded()
        except lms.LMStudioServerError as error:
            expect("Authentication failed" in str(error), str(error))
            return
        except ValueError as error:
            # SDKs before 1.6 fail while formatting the server's plain-text rejection (PY commit
            # c6998ba1 fixed it); the rejection itself still reached the client.
            expect(not supports_token, f"unexpected ValueError: {error}")
            return
        raise AssertionError("guest accepted by a token server")

    run("a guest is rejected by a server that requires a token", guest_rejected)

    with open(args.results, "w") as handle:
        json.dump({"sdk": version, "results": results}, handle)


# ----------------------------------------------------------------------------------------------
# Schema validation of recorded client messages


def load_schema(path):
    with open(path) as handle:
        document = json.load(handle)
    definitions = document["definitions"]
    names = sorted(definitions, key=len, reverse=True)

    def fix(reference):
        # lms.json's $refs contain raw slashes; resolve by the longest definition name prefix.
        prefix = "#/definitions/"
        if not reference.startswith(prefix):
            return reference
        rest = reference[len(prefix):]
        for name in names:
            if rest == name or rest.startswith(name + "/"):
                tail = rest[len(name):]
                return prefix + name.replace("~", "~0").replace("/", "~1") + tail
        return reference

    def walk(node):
        if isinstance(node, dict):
            return {k: (fix(v) if k == "$ref" and isinstance(v, str) else walk(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(definitions)


def validate(args):
    import jsonschema

    with open(args.results) as handle:
        state = json.load(handle)
    checks = state["results"]
    definitions = load_schema(args.schema)

    def validator_for(name):
        schema = {"definitions": definitions, "$ref": "#/definitions/" + name.replace("/", "~1")}
        return jsonschema.Draft7Validator(schema)

    cache = {}
    failures = []
    counted = 0
    for record_path in args.record:
        channels = {}
        with open(record_path) as handle:
            lines = [json.loads(line) for line in handle if line.strip()]
        for entry in lines:
            namespace, connection, message = entry["namespace"], entry["connection"], entry["message"]
            counted += 1
            problem = None
            if not isinstance(message, dict):
                problem = "not a JSON object"
            elif "authVersion" in message:
                ok = (
                    message.get("authVersion") == 1
                    and isinstance(message.get("clientIdentifier"), str) and len(message["clientIdentifier"]) <= 256
                    and isinstance(message.get("clientPasskey"), str) and len(message["clientPasskey"]) <= 256
                    and set(message) == {"authVersion", "clientIdentifier", "clientPasskey"}
                )
                problem = None if ok else "invalid authentication packet"
            else:
                kind = message.get("type")
                part = target = None
                if kind == "rpcCall":
                    target, part, member = f"{namespace}/rpc/{message.get('endpoint')}", "parameter", "parameter"
                elif kind == "channelCreate":
                    endpoint = message.get("endpoint")
                    channels[(connection, message.get("channelId"))] = endpoint
                    target, part, member = f"{namespace}/channel/{endpoint}", "creationParameter", "creationParameter"
                elif kind == "channelSend":
                    endpoint = channels.get((connection, message.get("channelId")))
                    target, part, member = f"{namespace}/channel/{endpoint}", "toServerPacket", "message"
                elif kind in ("keepAlive", "communicationWarning", "channelAck", "signalSubscribe", "signalUnsubscribe"):
                    target = None
                else:
                    problem = f"unknown envelope type {kind!r}"
                if target is not None:
                    pseudo = definitions.get(f"pseudo/{target}")
                    if pseudo is None:
                        problem = f"endpoint {target} is not in lms.json"
                    elif member not in message:
                        # Void payloads are absent; lms.json marks them {"not": {}} / not required.
                        if part in pseudo.get("required", []):
                            problem = f"{target}: missing {member}"
                    elif part not in pseudo.get("properties", {}):
                        problem = f"{target} takes no {part}, but one was sent"
                    else:
                        name = f"{target}/{part}"
                        if name not in cache:
                            cache[name] = validator_for(name)
                        errors = list(cache[name].iter_errors(message[member]))
                        if errors:
                            best = jsonschema.exceptions.best_match(errors)
                            problem = f"{target}/{part}: {best.message} at {list(best.absolute_path)}"
            if problem:
                failures.append(f"{namespace}#{connection}: {problem}: {json.dumps(message)[:300]}")
    for failure in failures:
        print(f"[FAIL] schema: {failure}", flush=True)
    valid = counted - len(failures)
    print(f"schema validation: {valid} of {counted} recorded client messages match lms.json", flush=True)
    for index in range(counted):
        checks.append({"name": f"schema #{index}", "passed": index >= len(failures), "detail": ""})
    passed = sum(1 for c in checks if c["passed"] is True)
    failed = sum(1 for c in checks if c["passed"] is False)
    skipped = sum(1 for c in checks if c["passed"] is None)
    with open(args.results, "w") as handle:
        json.dump(state, handle)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(f"lmstudio {state['sdk']}: {line}", flush=True)
    return 1 if failed else 0


# ----------------------------------------------------------------------------------------------
# The act() wire sequence


def act_wire(record_path):
    """The client messages of the act scenario, normalised: ids replaced, timing ignored."""
    with open(record_path) as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    channels = set()
    ids = {}

    def normalise(node, key=None):
        if isinstance(node, dict):
            return {k: normalise(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [normalise(v) for v in node]
        if key in ("id", "toolCallId") and isinstance(node, str):
            return ids.setdefault(node, f"id#{len(ids) + 1}")
        return node

    sequence = []
    for entry in lines:
        message = entry["message"]
        if entry["namespace"] != "llm" or not isinstance(message, dict):
            continue
        key = (entry["connection"], message.get("channelId"))
        if message.get("type") == "channelCreate" and message.get("endpoint") == "predict":
            history = message.get("creationParameter", {}).get("history", {}).get("messages", [])
            first = history[0]["content"] if history else []
            if first == [{"type": "text", "text": ACT_PROMPT}]:
                channels.add(key)
                sequence.append({"type": "channelCreate", "endpoint": "predict",
                                 "creationParameter": normalise(message["creationParameter"])})
        elif message.get("type") == "channelSend" and key in channels:
            sequence.append({"type": "channelSend", "message": normalise(message.get("message"))})
    return sequence


def actwire(args):
    sequence = act_wire(args.record)
    if args.write:
        with open(args.write, "w") as handle:
            json.dump(sequence, handle, indent=1, sort_keys=True)
            handle.write("\n")
        return 0
    with open(args.compare) as handle:
        expected = json.load(handle)
    if sequence == expected:
        print(f"act wire sequence: {len(sequence)} messages, identical to {os.path.basename(args.compare)}", flush=True)
        return 0
    print(f"[FAIL] act wire sequence differs from {args.compare}:", flush=True)
    print(json.dumps(sequence, indent=1, sort_keys=True), flush=True)
    return 1


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    d = sub.add_parser("drive")
    d.add_argument("--host", required=True)
    d.add_argument("--token-host", required=True)
    d.add_argument("--token", required=True)
    d.add_argument("--results", required=True)
    v = sub.add_parser("validate")
    v.add_argument("--schema", required=True)
    v.add_argument("--record", action="append", required=True)
    v.add_argument("--results", required=True)
    w = sub.add_parser("actwire")
    w.add_argument("--record", required=True)
    target = w.add_mutually_exclusive_group(required=True)
    target.add_argument("--write")
    target.add_argument("--compare")
    args = parser.parse_args()
    if args.mode == "actwire":
        return actwire(args)
    if args.mode == "drive":
        drive(args)
        return 0
    return validate(args)


if __name__ == "__main__":
    sys.exit(main())
