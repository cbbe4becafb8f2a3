"""A Modbus TCP meter played by pymodbus (an independent implementation) for the
harness: python3 modbus_peer_meter.py PORT. Holding registers from 0:
uint32 12345678, float32 1234.5678 (ABCD), int16 -2; input registers: none."""
import sys

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server import StartTcpServer

REGISTERS = [0x00BC, 0x614E, 0x449A, 0x522B, 0xFFFE] + [0] * 11

hr = ModbusSequentialDataBlock(0, REGISTERS)
context = ModbusServerContext(slaves=ModbusSlaveContext(hr=hr, zero_mode=True), single=True)
StartTcpServer(context=context, address=("127.0.0.1", int(sys.argv[1])))
