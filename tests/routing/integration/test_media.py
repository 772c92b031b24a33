"""Images and videos through the Router over real HTTP: Imagen, and Veo start then poll."""

from __future__ import annotations

import base64

from tests.routing.integration.conftest import make_key

DEPLOYMENTS = {
    "imagen": "imagen-3.0-generate-002",
    "veo": "veo-3.0-generate-001",
}


async def test_imagen_generates_base64_images_through_predict(vertex, router_for):
    router = router_for(make_key(vertex, deployments=DEPLOYMENTS))

    result = await router.images({"model": "imagen", "prompt": "a lighthouse at dusk", "n": 2})

    assert len(result.response["data"]) == 2
    assert base64.b64decode(result.response["data"][0]["b64_json"])
    assert vertex.requests(path_contains="imagen-3.0-generate-002:predict")[0]["body"]["instances"] == [
        {"prompt": "a lighthouse at dusk"}]
    assert result.family == "imagen"


async def test_a_veo_video_is_started_then_polled_where_it_started_until_done(vertex, router_for):
    router = router_for(make_key(vertex, region="us-central1", deployments=DEPLOYMENTS))

    started = await router.video_start({"model": "veo", "prompt": "waves on a beach", "seconds": 4})
    video = started.response
    assert video["object"] == "video" and video["status"] in ("queued", "in_progress")
    assert vertex.requests(path_contains="veo-3.0-generate-001:predictLongRunning")

    for _ in range(10):
        polled = await router.video_poll(key_id=started.key_id, region=started.region, target=started.target,
                                         operation=video["id"])
        video = polled.response
        if video["status"] == "completed":
            break
    assert video["status"] == "completed"
    assert {r["path"].split("/locations/")[1].split("/")[0]
            for r in vertex.requests(path_contains="fetchPredictOperation")} == {"us-central1"}


async def test_a_gemini_image_model_draws_a_png_that_comes_back_as_b64_json(vertex, router_for):
    router = router_for(make_key(vertex, deployments={"painter": "gemini-2.5-flash-image"}))

    result = await router.images({"model": "painter", "prompt": "a red fox in the snow"})

    (item,) = result.response["data"]
    image = base64.b64decode(item["b64_json"])
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in image[-12:]
    sent = vertex.requests(path_contains="gemini-2.5-flash-image:generateContent")[0]["body"]
    assert "IMAGE" in sent["generationConfig"]["responseModalities"]
    assert result.family == "gemini"


async def test_a_gemini_image_preview_model_answers_n_images_for_n_candidates(vertex, router_for):
    router = router_for(make_key(vertex, deployments={"painter": "gemini-2.5-flash-image-preview"}))

    result = await router.images({"model": "painter", "prompt": "two boats", "n": 2})

    images = [base64.b64decode(item["b64_json"]) for item in result.response["data"]]
    assert len(images) == 2 and images[0] != images[1]
    assert all(image.startswith(b"\x89PNG") for image in images)


async def test_a_text_model_asked_for_text_only_gets_no_image(vertex, router_for):
    router = router_for(make_key(vertex, deployments={"painter": "gemini-2.5-flash-image"}))

    result = await router.chat({"model": "painter", "messages": [{"role": "user", "content": "describe a fox"}]})

    assert result.response["choices"][0]["message"]["content"]
    body = vertex.requests(path_contains=":generateContent")[0]["body"]
    assert "IMAGE" not in str((body.get("generationConfig") or {}).get("responseModalities"))
