import json
import threading
import unittest
from urllib.error import HTTPError
from urllib.request import urlopen

from shop_recommend.server import create_server, listen_address


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.server = create_server("127.0.0.1", 0)
        cls.url = f"http://127.0.0.1:{cls.server.server_address[1]}"
        cls.thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.shutdown()
        cls.server.server_close()

    def get(self, path: str) -> tuple[int, dict]:
        try:
            with urlopen(self.url + path, timeout=5) as response:
                return response.status, json.load(response)
        except HTTPError as error:
            return error.code, json.load(error)

    def test_health_answers_200(self) -> None:
        self.assertEqual(self.get("/health"), (200, {"status": "ok", "service": "recommend", "checks": {}}))

    def test_recommend_ranks_related_products(self) -> None:
        status, body = self.get("/recommend?item=grinder")
        self.assertEqual(status, 200)
        self.assertEqual(body["items"][:2], ["filter", "kettle"])

    def test_unknown_product_is_404(self) -> None:
        self.assertEqual(self.get("/recommend?item=teapot")[0], 404)


class ListenAddressTest(unittest.TestCase):
    def test_host_and_port_from_the_environment(self) -> None:
        self.assertEqual(listen_address({}), ("127.0.0.1", 4002))
        self.assertEqual(listen_address({"HOST": "0.0.0.0", "PORT": "0"}), ("0.0.0.0", 0))
        with self.assertRaisesRegex(ValueError, "PORT must be a number"):
            listen_address({"PORT": "http"})


if __name__ == "__main__":
    unittest.main()
