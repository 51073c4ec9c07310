// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @notice The subset of the Foundry cheatcodes that Hardhat's EDR test runner serves at the HEVM
/// address, written by hand because forge-std is not usable from npm (the npm package is an old, broken copy). Named `Vm`, as in
/// forge-std, so that tests read like every other Foundry-style test.
// solhint-disable-next-line interface-starts-with-i
interface Vm {
    // ------------------------------------------------------------- environment
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function setBlockhash(uint256 blockNumber, bytes32 blockHash) external;
    function getBlockNumber() external view returns (uint256);
    function getBlockTimestamp() external view returns (uint256);

    // ------------------------------------------------------------- callers
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;

    // ------------------------------------------------------------- expectations
    function expectRevert() external;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function expectEmit(
        bool checkTopic1,
        bool checkTopic2,
        bool checkTopic3,
        bool checkData,
        address emitter
    ) external;

    // ------------------------------------------------------------- fuzzing
    function assume(bool condition) external pure;

    // ------------------------------------------------------------- accounts and labels
    function addr(uint256 privateKey) external pure returns (address);
    function label(address account, string calldata newLabel) external;

    // ------------------------------------------------------------- gas
    function pauseGasMetering() external;
    function resumeGasMetering() external;
}

/// @dev The address every cheatcode call goes to: address(uint160(uint256(keccak256("hevm cheat code")))).
address constant VM_ADDRESS = 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D;
